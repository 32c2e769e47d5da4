package version

// Version is reported in every envelope's source.version.
var Version = "0.1.0"
