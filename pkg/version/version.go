// Package version holds the sluice version, shown by `sluice version`, in
// /status and in every change envelope's source.version.
package version

// Version is the sluice version.
var Version = "0.1.0"
