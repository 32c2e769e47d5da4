//go:build !linux

package mariadbtest

import "syscall"

// sysProcAttr has nothing to add where PR_SET_PDEATHSIG does not exist.
func sysProcAttr() *syscall.SysProcAttr { return nil }
