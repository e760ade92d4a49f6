import CCurl
import JobsCore

/// Posts webhook bodies with libcurl's easy interface: one handle, owned by this object and used by one thread at
/// a time, so that attempts to the same receiver reuse its connection.
///
/// Every request: `POST`, a 10 s limit on the whole exchange (connecting included), no redirects followed, only
/// `http` and `https`, TLS certificates and host names verified, no signals (libcurl is used from several
/// threads). The answer's body is read and dropped.
public final class WebhookPoster {
    /// What an attempt came to.
    public enum Outcome: Sendable, Equatable {
        /// The receiver answered with this HTTP status (any: the caller decides what counts as delivered).
        case answered(status: Int64)
        /// No answer: libcurl's error (`timeout`, `connection refused`, a TLS failure), as text.
        case failed(String)
    }

    /// The libcurl handle; freed in `deinit`.
    private let handle: UnsafeMutableRawPointer
    /// The limit on one request, milliseconds.
    public let timeoutMilliseconds: Int

    /// Makes a handle. Call ``initializeLibrary()`` once before any thread starts. The corresponding C function
    /// is `curl_easy_init`.
    public init(timeoutMilliseconds: Int = 10_000) throws(WebhookPosterError) {
        guard let handle = curl_easy_init() else { throw WebhookPosterError("curl_easy_init failed") }
        self.handle = handle
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Initializes libcurl for the process; call once, before starting threads. The corresponding C function is
    /// `curl_global_init`.
    public static func initializeLibrary() throws(WebhookPosterError) {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard code == CURLE_OK else { throw WebhookPosterError("curl_global_init: \(Self.text(code))") }
    }

    /// Posts `body` to `url` with `headers` (`name: value`) and `Content-Type: application/json`.
    public func post(url: String, headers: [String], body: String) -> Outcome {
        curl_easy_reset(handle)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for header in ["Content-Type: application/json", "Expect:"] + headers {
            guard let appended = curl_slist_append(list, header) else { return .failed("out of memory") }
            list = appended
        }
        let bodyBytes = Array(body.utf8)
        let code = bodyBytes.withUnsafeBufferPointer { bytes -> CURLcode in
            let options: [() -> CURLcode] = [
                { ccurl_setopt_string(self.handle, CURLOPT_URL, url) },
                { ccurl_setopt_string(self.handle, CURLOPT_PROTOCOLS_STR, "http,https") },
                { ccurl_setopt_long(self.handle, CURLOPT_FOLLOWLOCATION, 0) },
                { ccurl_setopt_long(self.handle, CURLOPT_SSL_VERIFYPEER, 1) },
                { ccurl_setopt_long(self.handle, CURLOPT_SSL_VERIFYHOST, 2) },
                { ccurl_setopt_long(self.handle, CURLOPT_NOSIGNAL, 1) },
                { ccurl_setopt_long(self.handle, CURLOPT_TIMEOUT_MS, self.timeoutMilliseconds) },
                { ccurl_setopt_long(self.handle, CURLOPT_POST, 1) },
                { ccurl_setopt_pointer(self.handle, CURLOPT_POSTFIELDS, bytes.baseAddress) },
                { ccurl_setopt_curl_off_t(self.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)) },
                { ccurl_setopt_slist(self.handle, CURLOPT_HTTPHEADER, list) },
                { ccurl_setopt_string(self.handle, CURLOPT_USERAGENT, "jobs-api-webhooks/\(Release.version)") },
                { ccurl_discard_body(self.handle) },
            ]
            for option in options {
                let code = option()
                guard code == CURLE_OK else { return code }
            }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else { return .failed(Self.text(code)) }
        var status = 0
        let info = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard info == CURLE_OK else { return .failed(Self.text(info)) }
        return .answered(status: Int64(status))
    }

    /// libcurl's text for `code`, with the code. The corresponding C function is `curl_easy_strerror`.
    static func text(_ code: CURLcode) -> String {
        if code == CURLE_OPERATION_TIMEDOUT { return "timeout (curl 28)" }
        if code == CURLE_COULDNT_CONNECT { return "could not connect (curl 7)" }
        return "\(String(cString: curl_easy_strerror(code))) (curl \(code.rawValue))"
    }
}

/// A failure of libcurl itself (not of an attempt).
public struct WebhookPosterError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
