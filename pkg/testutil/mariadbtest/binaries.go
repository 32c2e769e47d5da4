package mariadbtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNotInstalled reports that mariadbd or mariadb-install-db was not found.
var ErrNotInstalled = errors.New("mariadbtest: MariaDB server not installed " +
	"(run .ci/run, or: apt-get install mariadb-server mariadb-client)")

// extraBinDirs are searched after PATH: Debian installs mariadbd in
// /usr/sbin, which is not on a non-root user's PATH.
var extraBinDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}

// binaries are the absolute paths of the MariaDB programs this package runs.
type binaries struct {
	mariadbd  string
	installDB string
}

// findBinaries locates mariadbd and mariadb-install-db (or their older
// mysqld / mysql_install_db names).
func findBinaries() (binaries, error) {
	var b binaries
	var err error
	if b.mariadbd, err = findBinary("mariadbd", "mysqld"); err != nil {
		return b, err
	}
	if b.installDB, err = findBinary("mariadb-install-db", "mysql_install_db"); err != nil {
		return b, err
	}
	return b, nil
}

func findBinary(names ...string) (string, error) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return filepath.Abs(p)
		}
	}
	for _, dir := range extraBinDirs {
		for _, name := range names {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s not found in PATH or %v", ErrNotInstalled, names[0], extraBinDirs)
}

// userArgs makes root run the server as root; mariadbd refuses to run as
// root without --user, and --user is an error for anyone else.
func userArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}
