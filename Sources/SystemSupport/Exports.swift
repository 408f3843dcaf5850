// The layer's vocabulary is swift-system's: FileDescriptor, FilePath, Errno,
// Stat. Importing SystemSupport brings them along.
@_exported import SystemPackage
