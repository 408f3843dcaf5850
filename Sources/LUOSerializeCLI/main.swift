// The `luo-serialize` command: parse, run, and map every outcome to an exit status.
import LUOSerializeCommands

CLIEntry.main()
