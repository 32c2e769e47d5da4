package main

import (
	"testing"

	"github.com/sluice-cdc/sluice/pkg/testutil/e2e"
)

// TestMain removes the sluice binary that the tests of this package build
// (e2e.Binary) once they ran.
func TestMain(m *testing.M) { e2e.Main(m) }
