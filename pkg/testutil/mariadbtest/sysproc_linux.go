package mariadbtest

import "syscall"

// sysProcAttr makes the kernel kill the server when the process that started
// it dies, so a test binary killed by a timeout leaks no servers.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
