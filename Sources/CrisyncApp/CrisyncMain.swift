public enum CrisyncMain {
    public static func main() {}
}
