import CrisyncApp
CrisyncMain.main()
