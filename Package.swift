// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "luo-serialize",
    products: [
        .library(name: "KHOImage", targets: ["KHOImage"]),
        .library(name: "LiveUpdate", targets: ["LiveUpdate"]),
        .library(name: "HandoverManifest", targets: ["HandoverManifest"]),
        .executable(name: "luo-serialize", targets: ["LUOSerializeCLI"]),
        // The layers below KHOImage and the test support, as products for the
        // fuzz package in Fuzz/ (its targets call them directly).
        .library(name: "FDT", targets: ["FDT"]),
        .library(name: "KernelABI", targets: ["KernelABI"]),
        .library(name: "HandoverModel", targets: ["HandoverModel"]),
        .library(name: "TestSupport", targets: ["TestSupport"]),
        .executable(name: "luo-handover-demo", targets: ["LUOHandoverDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // libfdt from Debian's libfdt-dev (no pkg-config file: linked by name in the module map).
        .systemLibrary(name: "CLibFDT", providers: [.apt(["libfdt-dev"])]),
        // Layer 0: the Linux calls the C library has but Glibc's Swift module does not
        // import (memfd_create, the seal commands of fcntl, copy_file_range).
        .target(name: "CLinuxSupport"),
        // Layer 0: every system call the project makes, on swift-system's
        // FileDescriptor / FilePath / Errno: interrupted calls retried and short
        // transfers completed in one place, failures typed as Errno.
        .target(
            name: "SystemSupport",
            dependencies: ["CLinuxSupport", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Layer 0: how every layer writes numbers in hexadecimal.
        .target(name: "HexFormat"),
        // Layer 1: Swift types over libfdt's sequential-write, read-write and read-only APIs.
        .target(name: "FDT", dependencies: ["CLibFDT", "HexFormat"]),
        // Layer 2: the ABI generations as values (names, formats, limits), with no
        // dependencies so the model can record which generation a state is in.
        .target(name: "ABIGeneration"),
        // Layer 2: the plain model of one handover (sessions, files, FLB entries).
        .target(name: "HandoverModel", dependencies: ["ABIGeneration", "SystemSupport"]),
        // Layer 3: the kernel's byte layouts, one folder per ABI generation.
        .target(name: "KernelABI", dependencies: ["FDT", "ABIGeneration", "HexFormat"]),
        // Layer 4: the KHO image file: physical layout, writer and reader.
        .target(name: "KHOImage", dependencies: ["FDT", "KernelABI", "HandoverModel", "SystemSupport", "HexFormat"]),
        // Layer 5: the LUO lifecycle: sessions, file handlers, FLB, retrieve and finish.
        .target(name: "LiveUpdate", dependencies: ["KHOImage", "KernelABI", "HandoverModel", "SystemSupport", "HexFormat"]),
        // Layer 5: manifests (JSON / YAML) to and from the model.
        .target(
            name: "HandoverManifest",
            dependencies: ["HandoverModel", "SystemSupport", "HexFormat", .product(name: "Yams", package: "Yams")]
        ),
        // Layer 6: the command line's commands, as a library the tests drive in process.
        .target(
            name: "LUOSerializeCommands",
            dependencies: [
                "KHOImage", "LiveUpdate", "HandoverModel", "HandoverManifest", "FDT", "KernelABI", "ABIGeneration",
                "SystemSupport", "HexFormat", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Layer 6: the `luo-serialize` executable, a thin entry point over the commands.
        .executableTarget(name: "LUOSerializeCLI", dependencies: ["LUOSerializeCommands"]),
        // A small two-process handover demo on real memfds (used by LiveUpdateTests).
        .executableTarget(
            name: "LUOHandoverDemo",
            dependencies: ["LiveUpdate", "KHOImage", "HandoverModel", "SystemSupport", "HexFormat"]
        ),
        // The release-built benchmark (run by tools/benchmark.sh beside the C baseline).
        .executableTarget(
            name: "LUOBenchmark",
            dependencies: ["KHOImage", "LiveUpdate", "HandoverModel", "KernelABI", "FDT", "ABIGeneration", "CBenchmarkSupport"],
            path: "Benchmarks/LUOBenchmark"
        ),
        // glibc's mallopt for the benchmark (not in Glibc's Swift module).
        .target(name: "CBenchmarkSupport", path: "Benchmarks/CBenchmarkSupport"),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport"]),
        .testTarget(name: "HexFormatTests", dependencies: ["HexFormat"]),
        .testTarget(name: "FDTTests", dependencies: ["FDT"]),
        .testTarget(name: "KernelABITests", dependencies: ["KernelABI", "FDT", "ABIGeneration", "TestSupport"]),
        .testTarget(name: "KHOImageTests", dependencies: ["KHOImage", "KernelABI", "FDT", "HandoverModel", "HexFormat", "TestSupport"]),
        .testTarget(name: "HandoverManifestTests", dependencies: ["HandoverManifest", "HandoverModel", "TestSupport"]),
        .testTarget(
            name: "LiveUpdateTests", dependencies: ["LiveUpdate", "KHOImage", "KernelABI", "HandoverModel", "TestSupport"]
        ),
        // What every test target may share: repository paths, temporary
        // directories, child-process runs, the built executables, and the
        // image-patch fuzz target's input (shared with Fuzz/).
        .target(name: "TestSupport", dependencies: ["KHOImage", "HandoverModel"], path: "Tests/TestSupport"),
        // What the test targets that read the kernel lab's captures share.
        .target(name: "KernelLabSupport", path: "Tests/KernelLabSupport"),
        .testTarget(
            name: "FixtureTests",
            dependencies: ["HandoverManifest", "KHOImage", "KernelABI", "HandoverModel", "FDT", "KernelLabSupport", "TestSupport"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["LUOSerializeCommands", "KHOImage", "HandoverModel", "FDT", "KernelLabSupport", "TestSupport", "SystemSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
