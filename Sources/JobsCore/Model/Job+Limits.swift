/// The bounds every stored job keeps, whichever way it was made: the API, `jobsctl job create`, `jobsctl job
/// import`, or a worker writing its result. Each is documented in README ("Administration: `jobsctl`").
extension Job {
    /// The longest `referenceId` (the user id), in Unicode scalar values: the API's `userId` rule.
    public static let maximumReferenceIDLength = 256

    /// The longest `description`, in bytes of UTF-8. The API's own description, `Delete user sessions of userId =`
    /// and a user id of at most 256 scalars (4 bytes each at most), takes at most 1,057.
    public static let maximumDescriptionBytes = 4096

    /// The longest `errors`, in bytes of UTF-8. A worker keeps at most the last 4,096 bytes of a program's standard
    /// error with a short cause in front, and cuts anything longer to this bound (``limitedErrors(_:)``).
    public static let maximumErrorsBytes = 16_384

    /// The longest action name, in bytes.
    public static let maximumActionLength = 64

    /// The times a job may carry (`createdAt`, `updatedAt`, `startAt`), in milliseconds since the epoch: from the
    /// epoch to the last millisecond of year 9999, the range ISO 8601's four-digit years can write. `jobsctl`'s time
    /// options and `jobsctl job import` accept these only; the API makes its own times from the clock.
    public static let timeRange: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Whether `text` may be a job's `referenceId`: 1–256 Unicode scalars, no NUL (the API's `userId` rule,
    /// which `jobsctl job create` and `jobsctl job import` apply too).
    public static func isValidReferenceID(_ text: String) -> Bool {
        let length = text.unicodeScalars.count
        return length >= 1 && length <= maximumReferenceIDLength && !text.utf8.contains(0)
    }

    /// `text` as a failed job's `errors`: unchanged when it fits in ``maximumErrorsBytes``, otherwise its start
    /// (where the cause is) cut at a character boundary and `…` after it.
    public static func limitedErrors(_ text: String) -> String {
        guard text.utf8.count > maximumErrorsBytes else { return text }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        let room = maximumErrorsBytes - "…".utf8.count
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            guard bytes + size <= room else { break }
            kept.append(scalar)
            bytes += size
        }
        return String(kept) + "…"
    }
}

extension JobAction {
    /// Whether `name` can name an action that a worker runs: 1–64 bytes of letters, digits, `_`, `.` and `-`
    /// (what `jobsctl worker --action NAME=…` accepts, and so what `jobsctl job import` accepts).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= Job.maximumActionLength && bytes.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
