import CrisyncApp

await CrisyncMain.main()
