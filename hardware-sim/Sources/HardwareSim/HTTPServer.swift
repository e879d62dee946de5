import Foundation
import SystemIO

/// An HTTP request as a simulator sees it.
public struct HTTPRequest: Sendable {
    /// GET, POST, DELETE, …
    public var method: String
    /// The path, without the query.
    public var path: String
    /// Header names in lowercase.
    public var headers: [String: String]
    /// The body (Content-Length bytes).
    public var body: [UInt8]
}

/// What a simulator does with a request.
public enum HTTPAction: Sendable {
    /// Answer.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// Close the connection without answering (a dropped connection fault).
    case drop
}

/// A small HTTP/1.1 server for simulators: keep-alive connections, bodies
/// by Content-Length, one task per connection. Enough for eSCL clients and
/// for the platform simulator; not a general web server.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPAction

    private let listener: TCPListeningSocket
    private let handler: Handler
    private let stopped = LockedValue(false)

    /// Listens on `host:port` (0 lets the system choose).
    public init(host: String = "127.0.0.1", port: UInt16, handler: @escaping Handler) throws(IOFailure) {
        listener = try TCPListeningSocket(host: host, port: port)
        self.handler = handler
    }

    /// The port it listens on.
    public var port: UInt16 { listener.port }

    /// Serves until ``stop()``.
    public func serve() async {
        await withTaskGroup(of: Void.self) { group in
            while !stopped.value, !Task.isCancelled {
                let accepted = try? await onIOThread { [listener] in try listener.accept(deadline: .now + .milliseconds(200)) }
                guard let fd = accepted ?? nil, let client = try? PollingDescriptor(fd: fd, isSocket: true, label: "hardware-sim http") else { continue }
                group.addTask { await self.converse(client) }
            }
            group.cancelAll()
        }
        listener.close()
    }

    /// Stops accepting connections.
    public func stop() { stopped.value = true }

    private func converse(_ client: PollingDescriptor) async {
        defer { client.close() }
        var buffer: [UInt8] = []
        while !stopped.value {
            guard let headerEnd = await readUntilHeaders(client, &buffer) else { return }
            let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
            buffer.removeFirst(headerEnd + 4)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length {
                guard let more = try? await client.read(maxCount: 65536, deadline: .now + .seconds(30)) else { return }
                buffer += more
            }
            let body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
            let path = String(requestLine[1].split(separator: "?", maxSplits: 1).first ?? "")
            let request = HTTPRequest(method: String(requestLine[0]), path: path, headers: headers, body: body)
            switch await handler(request) {
            case .drop:
                return
            case .respond(let status, let extra, let body):
                var response = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(body.count)\r\n"
                for (name, value) in extra { response += "\(name): \(value)\r\n" }
                response += "\r\n"
                guard (try? await client.write(Array(response.utf8) + body, deadline: .now + .seconds(30))) != nil else { return }
            }
            if headers["connection"]?.lowercased() == "close" { return }
        }
    }

    /// Reads until the blank line after the headers; the index of "\r\n\r\n", or nil if the client left.
    private func readUntilHeaders(_ client: PollingDescriptor, _ buffer: inout [UInt8]) async -> Int? {
        while true {
            if let end = Self.find([13, 10, 13, 10], in: buffer) { return end }
            guard buffer.count < 64 * 1024, let more = try? await client.read(maxCount: 65536, deadline: .now + .seconds(60)) else { return nil }
            buffer += more
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        [200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity",
         429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"][status] ?? "Status"
    }
}
