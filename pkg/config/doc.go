// Package config loads sluice's YAML config file: the pipeline name, how to
// reach Kafka (external brokers, or the embedded broker), the admin HTTP
// server, and the connectors.
//
// # Data flow
//
// Load reads the file and hands it to Parse, with the connector types the
// file may use (Kinds, from the binary's connector.Registry). Parse works in
// four steps:
//
//  1. yaml.v3 parses the bytes into a node tree. A syntax error stops here and
//     is reported with its file and line.
//  2. A hand-written Decoder walks the tree into a Config. It never uses
//     reflection-based decoding, so it knows the line of every key, and it
//     rejects unknown keys, duplicate keys and wrong types. ${VAR} is
//     expanded here, in scalar values only, after parsing, so an environment
//     variable can never inject YAML structure. $${VAR} is a literal ${VAR};
//     an unset variable is an error.
//  3. ApplyDefaults fills the keys absent from the file (an explicit zero is
//     kept and then rejected) and resolves a relative kafka.embedded.data_dir
//     against the config file's directory.
//  4. Validate checks every value and every cross-reference (unique connector
//     names, a sink's source naming a source connector of the same file).
//
// Steps 2 to 4 do not stop at the first problem: Parse returns an Errors that
// lists all of them, ordered by line, each as "file:line: key.path: what is
// wrong; what to do". A value that failed to decode is not reported again by
// validation.
//
// # Connector types
//
// This package knows the keys every connector has (name, type, dsn, tls)
// and no connector type. Each type owns the rest of its entry: its Kind
// makes a Spec, its own config struct, whose Keys the Decoder decodes
// strictly (a key of another type is reported as such), whose Defaults and
// Validate run in steps 3 and 4 through a Scope, which names every problem
// by key path and line as this package does for its own keys. Routes,
// SinkErrors, Retry and Verify are building blocks that sink types share.
//
// # Invariants
//
// A Config returned without error has every default applied and passes
// Validate: connector types are among the Kinds given, names are unique and
// match ^[A-Za-z0-9_-]+$, every connector's Spec is its type's config, and
// Kafka.Embedded.DataDir is absolute.
//
// No message from this package contains a password: DSNs are printed only
// through MaskDSN, and a value that came from ${VAR} is quoted as written
// ("${SOURCE_PASSWORD}"), never as expanded (Scope.Show, for the types).
//
// The packages below the edge take the decoded structs; none of them sees a
// YAML node. docs/config.md at the top of the repository documents every key.
package config
