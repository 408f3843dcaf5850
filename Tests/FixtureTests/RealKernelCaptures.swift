import Foundation

/// Where the kernel lab's real captures live under `Fixtures/`.
enum RealKernelCaptures {
    /// `Fixtures/kernel-captures`: one folder per kernel release.
    static let folder = "kernel-captures"
}
