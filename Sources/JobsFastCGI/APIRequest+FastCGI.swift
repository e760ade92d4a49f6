import FastCGI
import JobsCore

extension APIRequest {
    /// The API's view of a FastCGI request: `REQUEST_URI`, `QUERY_STRING`, the `Authorization` header and the
    /// client's address, split into path and query by ``APIRequest/init(method:requestURI:queryString:authorization:clientAddress:)``.
    ///
    /// nginx passes `REQUEST_URI` as the client sent it, raw bytes included. Each byte that may not stand in a
    /// URI as it is (controls, space, DEL, anything non-ASCII) is percent-encoded here, which leaves the meaning
    /// unchanged (`/users/é` and `/users/%C3%A9` name the same user) while the API's percent-decoding still sees
    /// invalid UTF-8 for what it is.
    public init(_ request: FastCGIRequest) {
        self.init(
            method: request.method ?? "",
            requestURI: request.withBytes(ofParam: "REQUEST_URI", Self.uriText) ?? "",
            queryString: request.withBytes(ofParam: "QUERY_STRING", Self.uriText),
            authorization: request.authorization,
            clientAddress: request.remoteAddress,
            idempotencyKeys: request.values(ofParam: "HTTP_IDEMPOTENCY_KEY"))
    }

    /// `bytes` as ASCII text: printable ASCII as it is, every other byte as `%XX`.
    static func uriText(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        // The usual URI is printable ASCII already: one copy.
        if bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        for byte in bytes {
            if byte > 0x20 && byte < 0x7F {
                text.append(byte)
            } else {
                text.append(UInt8(ascii: "%"))
                text.append(hex[Int(byte >> 4)])
                text.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
