import Foundation
import Testing

@testable import JobsCore

/// A request is read once: the same reading gives the log its path, the store its lookup and the answer its
/// endpoint.
@Suite("One reading of a request")
struct RoutedRequestTests {
    static let key = Fixture.projectKey

    func routed(_ method: String, _ uri: String) -> RoutedRequest {
        RoutedRequest(APIRequest(method: method, requestURI: uri, authorization: nil))
    }

    @Test(arguments: [
        ("GET", "/public/\(key)/jobs", JobsAPI.LoggedPath.jobs(projectKey: Substring(key))),
        ("POST", "/public/\(key)/jobs?limit=5", .jobs(projectKey: Substring(key))),
        ("GET", "/public/\(key)/jobs/42", .job(projectKey: Substring(key), jobID: 42)),
        ("PUT", "/public/\(key)/jobs/%34%32", .job(projectKey: Substring(key), jobID: 42)),
        ("GET", "/public/\(key)/jobs/abc", .job(projectKey: Substring(key), jobID: nil)),
        ("DELETE", "/public/\(key)/users/someone@example.com", .user(projectKey: Substring(key))),
        ("DELETE", "/public/some%20one/users/x", .user(projectKey: nil)),
        ("GET", "/public/short/jobs", .jobs(projectKey: "short")),
        ("GET", "/public/\(key)/users/someone@example.com/more", .other),
        ("GET", "/someone@example.com", .other),
    ])
    func logShowsTheRouteAndNoUserID(method: String, uri: String, logged: JobsAPI.LoggedPath) {
        #expect(routed(method, uri).loggedPath == logged)
    }

    @Test func storeIsAskedForTheProjectAndTheJobOfARead() {
        let read = routed("GET", "/public/\(Self.key)/jobs/7")
        #expect(read.projectKey == ProjectKey(Self.key))
        #expect(read.jobID == 7)
        // A cancel reads no job first: the store's cancel finds it.
        let cancel = routed("DELETE", "/public/\(Self.key)/jobs/7")
        #expect(cancel.projectKey == ProjectKey(Self.key))
        #expect(cancel.jobID == nil)
        // No route or another method: no project is looked up.
        #expect(routed("POST", "/public/\(Self.key)/jobs/7").projectKey == nil)
        #expect(routed("GET", "/public/\(Self.key)").projectKey == nil)
    }

    @Test func pathAndQueryAreSplitOnce() {
        let fromURI = APIRequest(method: "GET", requestURI: "/p/a?limit=5?x", authorization: nil)
        #expect(fromURI.path == "/p/a")
        #expect(fromURI.query == "limit=5?x")
        // The web server's QUERY_STRING wins over the URI's rest.
        let withQueryString = APIRequest(method: "GET", requestURI: "/p/a?b", queryString: "c", authorization: nil)
        #expect(withQueryString.path == "/p/a")
        #expect(withQueryString.query == "c")
        #expect(APIRequest(method: "GET", requestURI: "/p", authorization: nil).query == "")
    }

    @Test func listReadsItsPageOnce() {
        guard case .project(_, .success(.listJobs(let page, _))) = routed("GET", "/public/\(Self.key)/jobs?page=3&limit=7&limit=9").target
        else {
            Issue.record("not a list")
            return
        }
        #expect(page == PageQuery("limit=7&page=3"))
        #expect(page.offset == 14)
        #expect(PageQuery("page=9223372036854775807&limit=200").offset == nil)
    }

    /// A project key segment that cannot be percent-decoded names no project: like any key no project has, it
    /// answers 404 `Project not found` (the contract's answer for a key it does not know), after authentication,
    /// before the parameters.
    @Test(arguments: ["%", "%zz", "%4", "%ff", "%00", "%C3%A9"])
    func badlyEncodedProjectKeyIsProjectNotFound(key: String) {
        let fixture = Fixture()
        #expect(fixture.send("GET", "/public/\(key)/jobs", authorization: nil).status == 401)
        let response = fixture.send("GET", "/public/\(key)/jobs/abc")
        #expect(response.status == 404)
        #expect(response.errorMessage == "Project not found")
    }

    @Test func headIsAnsweredAsGetWithoutTheBody() {
        let fixture = Fixture()
        for uri in ["/public/\(Self.key)/jobs", "/public/\(Self.key)/jobs/1", "/public/\(Self.key)/jobs/abc", "/nowhere"] {
            let get = fixture.send("GET", uri)
            let head = fixture.send("HEAD", uri)
            #expect(head.status == get.status)
            #expect(head.body == get.body, "the head gives the body's length")
            #expect(get.includesBody)
            #expect(!head.includesBody)
        }
        #expect(!fixture.send("HEAD", "/public/\(Self.key)/jobs", authorization: nil).includesBody)
    }

    @Test func userDeletionTellsTheLogItsJob() throws {
        let fixture = Fixture()
        let request = APIRequest(
            method: "DELETE", requestURI: "/public/\(Self.key)/users/new-user", authorization: "Bearer \(Fixture.keyA)")
        let created = fixture.api.respond(to: request, store: fixture.store)
        #expect(created.response.status == 200)
        let id = try #require(created.jobID)
        let conflict = fixture.api.respond(to: request, store: fixture.store)
        #expect(conflict.response.status == 409)
        #expect(conflict.jobID == id)
    }
}
