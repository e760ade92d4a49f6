/// The release these programs belong to.
public enum Release {
    /// The version of jobs-fcgi and jobsctl, printed by their `--version`; the one source of truth for it
    /// (`deploy/package.sh` reads it from this line and appends the Debian revision).
    public static let version = "1.0.0"
}
