package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the config file at path and returns it parsed, with defaults
// applied and validated, as Parse does.
func Load(path string, kinds Kinds) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path, kinds)
}

// Parse decodes a config file's contents. path names the file in messages and
// is the directory relative kafka.embedded.data_dir is resolved against.
// ${VAR} in scalar values expands from the process environment. kinds are
// the connector types the file may use (connector.Registry.Kinds): each
// decodes, defaults and validates the keys of its own connectors.
//
// On any problem Parse returns a nil Config and an Errors holding every
// problem found, each with its key path and line.
func Parse(data []byte, path string, kinds Kinds) (*Config, error) {
	return parse(data, path, kinds, os.LookupEnv)
}

// parse is Parse with the environment as a parameter, for tests.
func parse(data []byte, path string, kinds Kinds, lookup func(string) (string, bool)) (*Config, error) {
	r := &report{file: path, meta: newMeta()}
	root, fe := document(data)
	if fe != nil {
		fe.File = path
		return nil, Errors{*fe}
	}
	if kinds == nil {
		kinds = Kinds{} // a file without connector types: each connector's type is unknown
	}
	c := &Config{Path: path, meta: r.meta, kinds: kinds}
	d := &Decoder{r: r, m: r.meta, lookup: lookup, kinds: kinds}
	d.root(root, c)
	c.ApplyDefaults()
	c.validate(r)
	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// document parses data as exactly one YAML document and returns its root
// node.
func document(data []byte) (*yaml.Node, *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{Line: 1, Msg: "the file is empty; it needs at least name and connectors"}
		}
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(err)
	default:
		return nil, &FieldError{Line: next.Line, Msg: "a second YAML document (after ---); a config file holds one, remove the rest"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &FieldError{Line: 1, Msg: "the file is empty; it needs at least name and connectors"}
	}
	return doc.Content[0], nil
}

// yamlLine matches yaml.v3's "yaml: line N: message".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into a FieldError with its line.
func syntaxError(err error) *FieldError {
	msg := err.Error()
	fe := &FieldError{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = "invalid YAML: " + m[2]
	}
	fe.Msg += " (check indentation, and quote values that contain : # [ ] { } or start with * & ! | >)"
	return fe
}
