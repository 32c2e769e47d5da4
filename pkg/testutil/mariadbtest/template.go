package mariadbtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// templateFormat changes whenever the way a template is made changes, so old
// cached templates are not reused.
const templateFormat = "1"

// installTimeout bounds one mariadb-install-db run (about 1s on a 2-core VM).
const installTimeout = 5 * time.Minute

var (
	templateMu   sync.Mutex
	templateData string // datadir of the template, once known
)

// templateDatadir returns a pristine datadir made by mariadb-install-db, from
// the shared cache when it holds one for this mariadbd, or freshly installed
// and published into the cache.
func templateDatadir(b binaries) (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()
	if templateData != "" {
		return templateData, nil
	}
	version, err := serverVersion(b.mariadbd)
	if err != nil {
		return "", err
	}
	key := templateKey(b, version)
	for _, root := range cacheRoots() {
		if final := filepath.Join(root, key); isComplete(final) {
			templateData = filepath.Join(final, "data")
			return templateData, nil
		}
	}
	root, tmp, err := makeInstallDir()
	if err != nil {
		return "", err
	}
	final := filepath.Join(root, key)
	if err := installDatadir(b, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "ok"), []byte(version+"\n"), 0o644); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("mariadbtest: template cache: %w", err)
	}
	switch err := os.Rename(tmp, final); {
	case err == nil:
		templateData = filepath.Join(final, "data")
	case isComplete(final):
		// Another process published the same template first.
		os.RemoveAll(tmp)
		templateData = filepath.Join(final, "data")
	default:
		templateData = filepath.Join(tmp, "data")
	}
	return templateData, nil
}

// installDatadir runs mariadb-install-db into dir/data. Root gets the
// historical passwordless login (normal), which tests use over TCP.
func installDatadir(b binaries, dir string) error {
	args := []string{
		"--no-defaults",
		"--auth-root-authentication-method=normal",
		"--datadir=" + filepath.Join(dir, "data"),
		"--skip-test-db",
	}
	args = append(args, userArgs()...)
	args = append(args, commonArgs...)
	// The bootstrap mariadbd takes its tmpdir from TMPDIR, and like any
	// mariadbd it deletes the #sql* files there when it starts: give it a
	// directory of its own, not the running servers' /tmp.
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.installDB, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(dir, "install.log"), out, 0o644)
	if err != nil {
		return fmt.Errorf("mariadbtest: %s %s: %w\n%s", b.installDB,
			strings.Join(args, " "), err, tail(out, 30))
	}
	return nil
}

func isComplete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "ok"))
	return err == nil
}

// templateKey names a template by everything that shapes its files.
func templateKey(b binaries, version string) string {
	h := sha256.New()
	for _, s := range []string{templateFormat, b.mariadbd, b.installDB, version,
		strconv.Itoa(os.Geteuid()), strings.Join(commonArgs, " ")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "template-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// cacheRoots lists where templates may live, best first:
// MARIADBTEST_CACHE_DIR if set, else the user's cache directory, then the
// temporary directory (for a read-only or missing HOME).
func cacheRoots() []string {
	if d := os.Getenv("MARIADBTEST_CACHE_DIR"); d != "" {
		return []string{d}
	}
	var roots []string
	if d, err := os.UserCacheDir(); err == nil {
		roots = append(roots, filepath.Join(d, "sluice-mariadbtest"))
	}
	return append(roots, filepath.Join(os.TempDir(), "sluice-mariadbtest-"+strconv.Itoa(os.Geteuid())))
}

// makeInstallDir creates a fresh directory for an install in the first
// usable cache root, after removing installs abandoned by dead processes.
func makeInstallDir() (root, dir string, err error) {
	for _, root = range cacheRoots() {
		if err = os.MkdirAll(root, 0o755); err != nil {
			continue
		}
		pruneAbandoned(root)
		if dir, err = os.MkdirTemp(root, "install-"); err == nil {
			return root, dir, nil
		}
	}
	return "", "", fmt.Errorf("mariadbtest: template cache: %w", err)
}

// pruneAbandoned removes install directories older than any install could
// take: their process died before publishing them.
func pruneAbandoned(root string) {
	old, _ := filepath.Glob(filepath.Join(root, "install-*"))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 2*installTimeout {
			os.RemoveAll(d)
		}
	}
}

func serverVersion(mariadbd string) (string, error) {
	out, err := exec.Command(mariadbd, "--no-defaults", "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("mariadbtest: %s --version: %w: %s", mariadbd, err, bytes.TrimSpace(out))
	}
	return string(bytes.TrimSpace(out)), nil
}

// copyDatadir copies the template into dst, which must not exist yet.
func copyDatadir(template, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("mariadbtest: datadir %s already exists", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("mariadbtest: %w", err)
	}
	if err := os.CopyFS(dst, os.DirFS(template)); err != nil {
		return fmt.Errorf("mariadbtest: copying template datadir: %w", err)
	}
	return nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
