/// A live object a file handler can preserve: the counterpart of the
/// kernel's `struct file`.
///
/// Identity matters: the orchestrator tells files apart by object identity
/// (preserving the same object twice is refused), `tokenOutgoing` finds a
/// file by identity, and retrieving the same token twice gives back the same
/// object.
public protocol LiveFile: AnyObject {}
