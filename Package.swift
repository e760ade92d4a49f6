// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "jobs-api",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "jobs-fcgi", targets: ["jobs-fcgi"]),
        .executable(name: "jobsctl", targets: ["jobsctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries from Debian, reached through system-library targets.
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite3",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // The domain: jobs, the store protocol, routing, authentication, handlers. No C imports.
        .target(
            name: "JobsCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Runs due jobs: claims them under a lease, runs each action's program, watches for cancellation.
        // Its delivery threads post the outbox's webhook events.
        .target(name: "JobsWorker", dependencies: ["JobsCore", "StandardErrorLog", "ProcessSpawn", "WebhookDelivery"]),
        // Owns every call into libcurl: posting a webhook event.
        .target(name: "WebhookDelivery", dependencies: ["CCurl", "JobsCore"]),
        // Starts programs with default signals and only the standard descriptors: the worker's actions, the
        // tests' processes.
        .target(name: "ProcessSpawn"),
        // One log line per write(2) on standard error, shared by the responder and the worker.
        .target(name: "StandardErrorLog"),
        // Owns every call into libfcgi.
        .target(name: "FastCGI", dependencies: ["CFastCGI", "StandardErrorLog"]),
        // The API behind FastCGI: a FastCGI request as the API sees it.
        .target(name: "JobsFastCGI", dependencies: ["JobsCore", "FastCGI"]),
        // The job store written once over a SQL engine: queries, row decoding, the contract's semantics.
        .target(name: "SQLStore", dependencies: ["JobsCore"]),
        // Owns every call into SQLite; the file-backed JobStore.
        .target(name: "SQLiteStore", dependencies: ["CSQLite3", "JobsCore", "SQLStore"]),
        // Owns every call into libpq; the PostgreSQL JobStore, for several hosts on one database.
        .target(name: "PostgresStore", dependencies: ["CLibPQ", "JobsCore", "SQLStore"]),
        // Maps a --store DSN to the store engine's connector; shared by both executables.
        .target(name: "StoreConnectors", dependencies: ["JobsCore", "SQLiteStore", "PostgresStore"]),

        .executableTarget(
            name: "jobs-fcgi",
            dependencies: [
                "JobsCore", "FastCGI", "JobsFastCGI", "StoreConnectors", "SQLiteStore", "PostgresStore", "StandardErrorLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "jobsctl",
            dependencies: [
                "JobsCore", "JobsWorker", "StoreConnectors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test support: starts the real stack (nginx, spawn-fcgi, the built binaries) and speaks HTTP to it.
        .target(name: "JobsTesting", dependencies: ["JobsCore", "ProcessSpawn"]),

        // Fuzz targets over every parser of untrusted bytes, and `jobs-fuzz`: a corpus replayer, or libFuzzer
        // when built by deploy/fuzz.sh (`--sanitize fuzzer -Xswiftc -DJOBS_FUZZ`).
        .target(name: "JobsFuzzing", dependencies: ["JobsCore", "FastCGI", "JobsFastCGI", "JobsTesting", "JobsWorker"]),
        .executableTarget(name: "jobs-fuzz", dependencies: ["JobsFuzzing"]),

        .testTarget(name: "JobsCoreTests", dependencies: ["JobsCore", "JobsTesting"]),
        .testTarget(name: "StandardErrorLogTests", dependencies: ["StandardErrorLog"]),
        // The FastCGI layer without nginx: the request-head check on byte buffers and socket pairs.
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "FuzzingTests", dependencies: ["JobsFuzzing", "JobsCore", "JobsTesting"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore", "SQLStore", "JobsCore", "JobsTesting"]),
        // The store contract, run on every engine: SQLite and a real PostgreSQL server.
        .testTarget(
            name: "StoreContractTests",
            dependencies: ["SQLiteStore", "PostgresStore", "SQLStore", "JobsCore", "JobsTesting"]),
        .testTarget(name: "JobsWorkerTests", dependencies: ["JobsWorker", "JobsCore", "SQLiteStore", "JobsTesting"]),
        // The webhook receiver script is run by the tests, not compiled.
        .testTarget(
            name: "EndToEndTests", dependencies: ["JobsTesting", "JobsCore"], exclude: ["Webhooks/webhook-receiver.py"]),
        .testTarget(name: "CLITests", dependencies: ["JobsTesting", "JobsCore", "StoreConnectors"]),
    ],
    swiftLanguageModes: [.v6]
)
