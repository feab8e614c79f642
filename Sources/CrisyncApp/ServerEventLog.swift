import Logging
import Server

extension Logger {
    /// What the HTTP server reports: web config loads and rejections, and libmicrohttpd's own
    /// per-connection diagnostics (debug: a client hanging up is not the operator's problem).
    func log(_ event: ServerEvent) {
        switch event {
        case .webConfigLoaded(let file, let tls, let users, let reload):
            info(
                reload ? "web config reloaded" : "web config loaded",
                metadata: ["file": "\(file)", "tls": "\(tls)", "basic_auth_users": "\(users)"])
        case .webConfigRejected(let error):
            self.error("web config rejected; the previous one stays in force", metadata: ["err": "\(error)"])
        case .libraryMessage(let message):
            debug("libmicrohttpd", metadata: ["msg": "\(message)"])
        }
    }
}
