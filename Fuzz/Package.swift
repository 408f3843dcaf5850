// swift-tools-version:6.0
import PackageDescription

// The libFuzzer targets, one executable each, built against the main
// package (path "..") by tools/fuzz.sh with the sanitizers on every module:
//
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address \
//       -Xcc -fsanitize=fuzzer-no-link,address
//
// Each main.swift defines LLVMFuzzerTestOneInput and starts libFuzzer with
// it (FuzzCommon's runFuzzer). See docs/ROBUSTNESS.md.
let package = Package(
    name: "luo-serialize-fuzz",
    dependencies: [
        .package(name: "luo-serialize", path: ".."),
    ],
    targets: [
        // libFuzzer's driver entry (LLVMFuzzerRunDriver), declared for Swift.
        .target(name: "LibFuzzerDriver", path: "LibFuzzerDriver"),
        // The entry point every target starts libFuzzer with, the input in two
        // kinds of storage, and the image reader's outcome as a value.
        .target(
            name: "FuzzCommon",
            dependencies: [
                "LibFuzzerDriver",
                .product(name: "FDT", package: "luo-serialize"),
                .product(name: "KHOImage", package: "luo-serialize"),
            ],
            path: "Common"
        ),
        // The FDT layer and the kernel FDT parsers on raw bytes.
        .executableTarget(
            name: "FuzzFDT",
            dependencies: [
                "FuzzCommon",
                .product(name: "FDT", package: "luo-serialize"),
                .product(name: "KernelABI", package: "luo-serialize"),
            ],
            path: "FDT", exclude: ["fdt.dict"]
        ),
        // The image reader on raw bytes.
        .executableTarget(
            name: "FuzzImage",
            dependencies: [
                "FuzzCommon",
                .product(name: "FDT", package: "luo-serialize"),
                .product(name: "KHOImage", package: "luo-serialize"),
                .product(name: "HandoverModel", package: "luo-serialize"),
            ],
            path: "Image", exclude: ["image.dict"]
        ),
        // The image reader on a valid image with patches the input describes.
        .executableTarget(
            name: "FuzzImagePatch",
            dependencies: [
                "FuzzCommon",
                .product(name: "FDT", package: "luo-serialize"),
                .product(name: "KHOImage", package: "luo-serialize"),
                .product(name: "HandoverModel", package: "luo-serialize"),
                .product(name: "TestSupport", package: "luo-serialize"),
            ],
            path: "ImagePatch"
        ),
        // The importer on captured memory from address 0.
        .executableTarget(
            name: "FuzzImport",
            dependencies: [
                "FuzzCommon",
                .product(name: "FDT", package: "luo-serialize"),
                .product(name: "KHOImage", package: "luo-serialize"),
            ],
            path: "Import"
        ),
        // The manifest parser, JSON and YAML, with a round-trip oracle.
        .executableTarget(
            name: "FuzzManifest",
            dependencies: [
                "FuzzCommon",
                .product(name: "HandoverManifest", package: "luo-serialize"),
                .product(name: "HandoverModel", package: "luo-serialize"),
            ],
            path: "Manifest", exclude: ["manifest.dict"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
