// swift-tools-version:6.0
// A package outside luo-serialize that uses only its products: two custom
// file handlers (a VM and its guest memory, which depends on the VM) and an
// FLB they share, handed over through a KHO image between two processes.
// Built and run by tools/test.sh (docs/LIBRARY.md walks through it).
import PackageDescription

let package = Package(
    name: "CustomHandlerPackage",
    dependencies: [
        .package(name: "luo-serialize", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "CustomHandlerExample",
            dependencies: [.product(name: "LiveUpdate", package: "luo-serialize")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
