import ArgumentParser
import Datasets

/// An error shown as one line on stderr, with a sysexits-style code.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    var description: String { message }
}
