/// The version of kioskd, shown by `kioskctl version`, `/healthz` and the logs.
public enum KioskVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
