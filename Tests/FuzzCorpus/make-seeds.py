#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target (Tests/FuzzCorpus/<target>/seed-*): realistic requests from the
contract and the bad-input table's cases. Rerun after changing it; files that fuzz runs found and that were
committed as regressions (crash-*, finding-*) are left alone. The input format of each target is described in
Sources/JobsFuzzing (one file per target)."""
import os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "jobs_FuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz"
REVOKED = "jobs_RevokedRevokedRevokedRevokedRevokedRe"
OTHER = "jobs_OtherOtherOtherOtherOtherOtherOtherOthe"
PROJECT = "FuzzProjectKey000001"
OTHER_PROJECT = "OtherProjectKey00002"
METHODS = {"GET": 0, "HEAD": 1, "DELETE": 2, "POST": 3, "PUT": 4, "OPTIONS": 5, "get": 6, "": 7}


def write(target, seeds):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.startswith("seed-"):
            os.remove(os.path.join(folder, name))
    for index, seed in enumerate(seeds):
        data = seed.encode("utf-8", "surrogateescape") if isinstance(seed, str) else seed
        with open(os.path.join(folder, "seed-%03d" % index), "wb") as f:
            f.write(data)


def path_seeds():
    base = "/public/" + PROJECT
    uris = [
        ("GET", base + "/jobs"), ("HEAD", base + "/jobs"), ("GET", base + "/jobs?limit=5&page=2"),
        ("GET", base + "/jobs/1"), ("GET", base + "/jobs/2"), ("HEAD", base + "/jobs/4"), ("GET", base + "/jobs/13"),
        ("DELETE", base + "/jobs/1"), ("DELETE", base + "/jobs/2"), ("DELETE", base + "/jobs/3"),
        ("DELETE", base + "/jobs/99"), ("DELETE", base + "/users/user-1"), ("DELETE", base + "/users/user-3"),
        ("DELETE", base + "/users/new-user"), ("DELETE", base + "/users/%C3%BC%2F%25%2B%20x"),
        ("DELETE", base + "/users/a+b"), ("DELETE", base + "/users/caf\u00e9"), ("POST", base + "/jobs"),
        ("PUT", base + "/jobs/1"), ("GET", base + "/users/x"), ("OPTIONS", base + "/jobs"), ("get", base + "/jobs"),
        ("", base + "/jobs"), ("GET", "/public/" + OTHER_PROJECT + "/jobs"), ("GET", "/public/nope/jobs"),
        ("GET", "/"), ("GET", ""), ("GET", "*"), ("GET", "/public"), ("GET", "/public/"), ("GET", base),
        ("GET", base + "/"), ("GET", base + "/jobs/"), ("GET", base + "//jobs"), ("GET", "//public/" + PROJECT + "/jobs"),
        ("GET", base + "/jobs/1/x"), ("GET", base + "/jobs/1/"),
        # The bad-input table.
        ("GET", base + "/jobs/..%2f..%2fetc%2fpasswd"), ("GET", "/public/%2e%2e/jobs"), ("GET", "/public/%252e%252e/jobs"),
        ("GET", "/public/" + PROJECT[:10] + "%2F" + PROJECT[10:] + "/jobs"), ("DELETE", base + "/users/a%2Fb"),
        ("DELETE", base + "/users/a%00b"), ("GET", base + "/jobs/1%00"), ("DELETE", base + "/users/a\r\nX: y"),
        ("DELETE", base + "/users/%0d%0aX:%20y"), ("DELETE", base + "/users/%ff"), ("DELETE", base + "/users/%c0%af"),
        ("DELETE", base + "/users/%ed%a0%80"), ("DELETE", base + "/users/\udcff"), ("GET", base + "/jobs/%ff"),
        ("DELETE", base + "/users/" + "u" * 10240), ("DELETE", base + "/users/" + "u" * 256),
        ("DELETE", base + "/users/" + "u" * 257), ("DELETE", base + "/users/" + "%C3%A9" * 256),
        ("GET", base + "/jobs/" + "1" * 10240), ("GET", base + "/jobs/9223372036854775807"),
        ("GET", base + "/jobs/9223372036854775808"), ("GET", base + "/jobs/-9223372036854775808"),
        ("GET", base + "/jobs/18446744073709551616"), ("GET", base + "/jobs/-1"), ("GET", base + "/jobs/+1"),
        ("GET", base + "/jobs/01"), ("GET", base + "/jobs/0001"), ("GET", base + "/jobs/ 1"), ("GET", base + "/jobs/%201"),
        ("GET", base + "/jobs/%2B1"), ("GET", base + "/jobs/%31"), ("GET", base + "/jobs/1e3"), ("GET", base + "/jobs/0x1"),
        ("GET", base + "/jobs/1.0"), ("GET", base + "/jobs/%D9%A1"), ("GET", base + "/jobs/%EF%BC%91"),
        ("GET", base + "/jobs/\u0661"), ("GET", base + "/jobs/0"), ("GET", base + "/jobs/%"), ("GET", base + "/jobs/%4"),
        ("GET", base + "/jobs/%zz"), ("DELETE", base + "/users/%"), ("DELETE", base + "/users/"),
        ("GET", base.replace("public", "PUBLIC") + "/jobs"), ("GET", base.replace("public", "p%75blic") + "/jobs"),
        ("GET", base + "/j%6fbs"), ("GET", "/public/" + PROJECT.lower() + "/jobs"), ("GET", base + "\t/jobs"),
        ("GET", base + "/jobs?"), ("GET", base + "/jobs#x"), ("GET", base + "/jobs/1?x=%ff"),
    ]
    return [bytes([METHODS[m] + 0x30]) + u.encode("utf-8", "surrogateescape") for m, u in uris]


def query_seeds():
    return [
        "", "limit=5", "limit=5&page=2", "page=3&limit=5", "limit=200", "limit=201", "limit=0", "limit=-1",
        "limit=+1", "limit=01", "limit=%31", "limit=%2B1", "limit=1&limit=2", "page=2&page=1&limit=5",
        "page=9223372036854775807&limit=200", "page=9223372036854775808", "page=-9223372036854775808",
        "limit=9223372036854775807", "limit=99999999999999999999", "li%6dit=3", "limit%3D3", "limit=3%26page=2",
        "+limit=3", "limit+=3", "l+imit=3", "limit=%ff", "limit=%EF%BC%91", "limit=\u0661", "page=0", "&&limit=2&",
        "=&=", "limit", "limit=", "limit==3", "limit=3=4", "limit=%", "limit=%3", "%=1&limit=4", "limit=1 ",
        "limit= 1", "limit=1%00", "LIMIT=3", "limit=3;page=2", "limit=3&page=2#frag", "limit=\xff",
        "x=" + "a" * 8000 + "&limit=2", "&" * 500 + "limit=7",
        "status=scheduled", "status=running,scheduled&limit=1", "status=completed%2Cfailed", "status=",
        "status", "status=unknown", "status=scheduled,", "status=,running", "status=Scheduled", "status=%ff",
        "status=failed&status=bad", "st%61tus=failed", "referenceId=user-1", "referenceId=%C3%BC%2F%25%2B+x",
        "referenceId=", "referenceId=%00", "referenceId=%ff", "referenceId=" + "a" * 257,
        "referenceId=user-2&status=running", "referenceId=user-2&status=cancelled&page=2",
    ]


def authorization_seeds():
    return [
        "Bearer " + KEY, "bearer " + KEY, "BEARER " + KEY, "BeArEr " + KEY, "Bearer  " + KEY, "Bearer " + KEY + "  ",
        "Bearer " + KEY + " x", "Bearer " + KEY + " x ", "Bearer " + KEY + ",", "Bearer " + KEY + ", Bearer " + KEY,
        "Bearer\t" + KEY, "Bearer " + KEY + "\r\n", "Bearer " + KEY + "\x00", " Bearer " + KEY, "Bearer" + KEY,
        "Bearer", "Bearer ", "Bearer   ", "", " ", "Basic dXNlcjpwYXNz", "Bearer " + REVOKED, "Bearer " + OTHER,
        "Bearer " + KEY[:-1], "Bearer " + KEY + "=", "Bearer " + KEY + "==", "Bearer =" + KEY, "Bearer jobs_",
        "Bearer " + "a" * 600, "Bearer " + "A" * 512, "Bearer " + KEY.replace("F", "\u0130", 1), "Bearer \xff\xfe",
        "Bearer\u00a0" + KEY, "Bearer\u3000" + KEY, "Token " + KEY, "Bearer " + KEY + " " * 8000,
    ]


def pairs(params):
    out = b""
    for name, value in params:
        name = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
        value = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
        for part in (len(name), len(value)):
            out += bytes([part]) if part < 128 else struct.pack(">I", part | 0x80000000)
        out += name + value
    return out


def nginx_params(method, uri, authorization="Bearer " + KEY, extra=()):
    path, _, query = uri.partition("?")
    params = [("QUERY_STRING", query), ("REQUEST_METHOD", method), ("CONTENT_TYPE", ""), ("CONTENT_LENGTH", ""),
              ("SCRIPT_NAME", path), ("REQUEST_URI", uri), ("DOCUMENT_URI", path), ("DOCUMENT_ROOT", "/usr/share/nginx/html"),
              ("SERVER_PROTOCOL", "HTTP/1.1"), ("REQUEST_SCHEME", "http"), ("GATEWAY_INTERFACE", "CGI/1.1"),
              ("SERVER_SOFTWARE", "nginx/1.22.1"), ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "51234"),
              ("SERVER_ADDR", "127.0.0.1"), ("SERVER_PORT", "8080"), ("SERVER_NAME", "localhost"),
              ("REDIRECT_STATUS", "200"), ("HTTP_PROXY", ""), ("HTTP_HOST", "localhost:8080"),
              ("HTTP_USER_AGENT", "curl/7.88.1"), ("HTTP_ACCEPT", "*/*")]
    if authorization is not None:
        params.append(("HTTP_AUTHORIZATION", authorization))
    return pairs(params + list(extra))


def fastcgi_params_seeds():
    base = "/public/" + PROJECT
    seeds = [
        nginx_params("GET", base + "/jobs"), nginx_params("GET", base + "/jobs?limit=2&page=3"),
        nginx_params("GET", base + "/jobs/1"), nginx_params("HEAD", base + "/jobs/2"),
        nginx_params("DELETE", base + "/jobs/1"), nginx_params("DELETE", base + "/users/new-user"),
        nginx_params("DELETE", base + "/users/%C3%A9%2F"), nginx_params("GET", base + "/jobs", authorization=None),
        nginx_params("GET", base + "/jobs", authorization="Bearer " + REVOKED),
        nginx_params("POST", base + "/jobs"), nginx_params("GET", "/public/" + OTHER_PROJECT + "/jobs"),
        # Idempotency-Key: one, quoted, empty, too long, a control character, twice (nginx 1.22 passes both).
        nginx_params("DELETE", base + "/users/keyed", extra=[("HTTP_IDEMPOTENCY_KEY", "k-1")]),
        nginx_params("DELETE", base + "/jobs/1", extra=[("HTTP_IDEMPOTENCY_KEY", '"k-1"')]),
        nginx_params("DELETE", base + "/users/keyed", extra=[("HTTP_IDEMPOTENCY_KEY", "")]),
        nginx_params("DELETE", base + "/users/keyed", extra=[("HTTP_IDEMPOTENCY_KEY", "x" * 256)]),
        nginx_params("DELETE", base + "/users/keyed", extra=[("HTTP_IDEMPOTENCY_KEY", "a\x01b")]),
        nginx_params("DELETE", base + "/users/keyed",
                     extra=[("HTTP_IDEMPOTENCY_KEY", "a"), ("HTTP_IDEMPOTENCY_KEY", "b")]),
        nginx_params("GET", base + "/jobs?status=running,failed&referenceId=user-2"),
        # Two Authorization headers (nginx passes both), the first one counting.
        nginx_params("GET", base + "/jobs", extra=[("HTTP_AUTHORIZATION", "Bearer " + REVOKED)]),
        nginx_params("GET", base + "/jobs", authorization="Bearer " + REVOKED, extra=[("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        nginx_params("GET", base + "/jobs", extra=[("HTTP_X_BIG", "x" * 65536)]),
        nginx_params("GET", base + "/jobs/1\r\nX: y"), nginx_params("DELETE", base + "/users/\xff\x00"),
        nginx_params("GET", base + "/jobs?limit=\xff\x00&page=2"),
        pairs([("REQUEST_METHOD", "GET"), ("REQUEST_URI", base + "/jobs"), ("REQUEST_URI", "/nope"),
               ("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        pairs([("REQUEST_METHOD=GET", ""), ("REQUEST_URI", base + "/jobs"), ("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        pairs([("REQUEST_METHOD", "GE\x00T"), ("REQUEST_URI", base + "/jobs"), ("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        pairs([("", "GET"), ("=", "="), ("\x00", "\x00"), ("REQUEST_URI", base + "/jobs")]),
        pairs([("REQUEST_URI", base + "/jobs?limit=3"), ("QUERY_STRING", "limit=4"), ("REQUEST_METHOD", "GET"),
               ("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        pairs([("REQUEST_URI", base + "/jobs?limit=3"), ("REQUEST_METHOD", "GET"), ("HTTP_AUTHORIZATION", "Bearer " + KEY)]),
        pairs([("REQUEST_METHOD", "GET")]) + b"\x80\x00\x00\x10\x01REQ",
        pairs([("REQUEST_METHOD", "GET")]) + b"\xff\xff\xff\xff\xff\xff\xff\xffREQUEST_URI",
        pairs([("REQUEST_METHOD", "GET")]) + b"\x0b",
        b"", b"\x00\x00", b"\x7f\x7f", b"\x80",
    ]
    return seeds


def import_seeds():
    now = 1700000000000
    lines = [
        '{"referenceId":"ada@example.com","status":"completed","createdAt":%d,"updatedAt":%d,"startAt":%d}' % (now - 172800000, now - 86400000, now - 86400000),
        '{"referenceId":"grace@example.com","status":"failed","createdAt":%d,"updatedAt":%d,"startAt":%d,"errors":"session store unreachable"}' % (now - 172800000, now - 86400000, now - 86400000),
        '{"referenceId":"alan@example.com","status":"cancelled","createdAt":%d,"updatedAt":%d}' % (now - 90000000, now - 89000000),
        '{"referenceId":"edsger@example.com","status":"running","createdAt":%d,"updatedAt":%d,"startAt":%d}' % (now - 3600000, now - 60000, now - 60000),
    ]
    api = ('{"jobId":7,"description":"Delete user sessions of userId = u\\"1\\\\\\n","status":"scheduled","projectId":1,'
           '"action":"delete_user_data","referenceId":"u\\"1\\\\\\n","createdAt":1700000000000,"updatedAt":null,'
           '"startAt":1700006400000,"errors":null}')
    seeds = ["\n".join(lines) + "\n", api, api + "\r\n" + lines[0] + "\r\n", "\n\n  \n" + lines[1] + "\n\t\n",
             '{"referenceId":"u","status":"scheduled"}', '{"referenceId":"u","status":"scheduled","action":"export_user_data"}',
             '{"referenceId":"u","status":"scheduled","description":null,"errors":null,"updatedAt":null}',
             '{"referenceId":"u","status":"scheduled","createdAt":1e3}', '{"referenceId":"u","status":"scheduled","createdAt":1.5}',
             '{"referenceId":"u","status":"scheduled","createdAt":9223372036854775807}',
             '{"referenceId":"u","status":"scheduled","createdAt":-9223372036854775808}',
             '{"referenceId":"u","status":"scheduled","createdAt":99999999999999999999999}',
             '{"referenceId":"u","status":"scheduled","createdAt":true}', '{"referenceId":"u","status":"scheduled","createdAt":"1"}',
             '{"referenceId":"u","status":"scheduled","startAt":-1}', '{"referenceId":"u","status":"unknown"}',
             '{"referenceId":"","status":"scheduled"}', '{"referenceId":"' + "x" * 257 + '","status":"scheduled"}',
             '{"referenceId":"' + "\u00e9" * 256 + '","status":"scheduled"}', '{"referenceId":"a\\u0000b","status":"scheduled"}',
             '{"referenceId":"\\ud83d\\ude00","status":"scheduled"}', '{"referenceId":"\\ud800","status":"scheduled"}',
             '{"referenceId":"\\udc00x","status":"scheduled"}', '{"referenceId":"u\\u2028\\u0001\\u001f\\u007f","status":"scheduled"}',
             '{"referenceId":"u","status":"scheduled","status":"failed"}', '{"referenceId":"u","status":"scheduled","extra":1}',
             '{"referenceId":"u","status":"scheduled",}', '["referenceId","u"]', '"x"', "null", "1", "{}",
             "\ufeff" + lines[0], "[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000,
             '{"referenceId":"u","status":"scheduled","errors":"' + "e" * 8000 + '"}', "\xff\xfe", "{\"referenceId\":\"\xff\"}",
             '{"referenceId":"u","status":"scheduled","createdAt":1E400}', '{"referenceId":"u","status":"scheduled","createdAt":-0}',
             '{"referenceId":"u","status":"scheduled","createdAt":0.0}', '{"referenceId":"u","status":"scheduled","createdAt":1e-400}',
             '{"referenceId":"u","status":"scheduled","createdAt":9007199254740993}']
    return seeds


def runner_request_seeds():
    variables = '{"ACTION":"delete_user_data","JOB_ID":"12","PROJECT_ID":"3","PROJECT_KEY":"3sWXSsqHgSKnE87YkNJK","REFERENCE_ID":"ada@example.com"}'
    good = '{"action":"delete_user_data","errorsLimit":4096,"inputBytes":240,"variables":%s,"version":1}' % variables
    odd_values = variables.replace('"ada@example.com"', '"u\\"1\\\\\\n\\u2028 \\ud83d\\ude00"')
    return [good, '{"version":1,"list":true}', '{"list":true,"version":1}',
            good.replace('"version":1', '"version":2'), good.replace('"inputBytes":240', '"inputBytes":1048577'),
            good.replace('"inputBytes":240', '"inputBytes":-1'), good.replace('"inputBytes":240', '"inputBytes":1e99'),
            good.replace('"inputBytes":240', '"inputBytes":9223372036854775807'),
            good.replace('"inputBytes":240', '"inputBytes":9223372036854775808'),
            good.replace('"errorsLimit":4096', '"errorsLimit":0'), good.replace('"errorsLimit":4096', '"errorsLimit":4097'),
            good.replace('"errorsLimit":4096', '"errorsLimit":true'), good.replace('"action":"delete_user_data"', '"action":"x y"'),
            good.replace('"JOB_ID":"12"', '"JOB_ID":"1\\u00002"'), good.replace('"JOB_ID":"12"', '"OTHER":"1"'),
            good.replace('"ACTION":"delete_user_data"', '"ACTION":"other"'), good.replace(variables, odd_values),
            good.replace('"version":1}', '"version":1,"extra":0}'), '{"version":1,"list":false}', '{"version":1,"list":true,"x":1}',
            "[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000, "", "not json", "null", "{}", good[:-1],
            good.replace(variables, '{"JOB_ID":12}')]


def runner_answer_seeds():
    return ["started\nexited 0 0\n", "exited 0 0\n", "exited 3 27\nsession store unreachable\n\n",
            "signaled 9 0\n", "signaled 15 5\nbye\n\n", "interrupted 0 0\n", "error busy\n",
            "error the action runner is stopping\n", "error no program for action \"x\"\n",
            "exited 0 4097\n" + "e" * 4097, "exited 0 4098\n" + "e" * 4098, "exited -1 0\n", "exited 2147483648 0\n",
            "exited 0 -1\n", "exited 0 99999999999999999999\n", "exited  0 0\n", "exited 0 0 0\n", "exited 0 5\nab",
            "x" * 70000, "\xff\xfe exited 0 0\n", '{"actions":["delete_user_data"]}', '{"actions":[]}',
            '{"actions":["a","b.c","d-e_f"]}', '{"actions":["a b"]}', '{"actions":["a",]}', '{"actions":[""]}',
            '{"actions":["\\u0041"]}', '{"actions":"a"}']


write("path", path_seeds())
write("query", query_seeds())
write("authorization", authorization_seeds())
write("fastcgi-params", fastcgi_params_seeds())
write("import", import_seeds())
write("runner-request", runner_request_seeds())
write("runner-answer", runner_answer_seeds())
