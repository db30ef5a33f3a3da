// Package testregistry runs Debian's docker-registry (the reference
// distribution registry) for the pull tests: on 127.0.0.1 at a free port,
// with a private config and storage under a dir the caller gives, with TLS
// from a CA it makes and basic auth from an htpasswd it writes when asked,
// stopped by pid. Nothing here ever talks to another host.
package testregistry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Options shape a registry.
type Options struct {
	// TLS serves HTTPS with a certificate of a CA made for it.
	TLS bool
	// User and Password, when set, are required (htpasswd, basic auth).
	User, Password string
}

// Registry is a running registry.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host string
	// Dir holds its config, storage and, with TLS, ca.pem.
	Dir  string
	opts Options
	cmd  *exec.Cmd
	pool *x509.CertPool
}

// Start starts a registry under dir (which must exist).
func Start(dir string, o Options) (*Registry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	host := l.Addr().String()
	l.Close()
	r := &Registry{Host: host, Dir: dir, opts: o}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"+
		"http:\n  addr: %s\n", filepath.Join(dir, "storage"), host)
	if o.TLS {
		if r.pool, err = makeCerts(dir); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	}
	if o.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(o.Password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(o.User+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: test\n    path: %s\n", pw)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	return r, r.Restart()
}

// Restart starts the registry again (after Stop) on its port and storage.
func (r *Registry) Restart() error {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return fmt.Errorf("docker-registry not found (make deps installs it): %v", err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(r.Dir, "config.yml"))
	log, err := os.OpenFile(filepath.Join(r.Dir, "registry.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	// The registry dies with whoever started it, even if that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd = cmd
	client := &http.Client{Transport: r.Transport(), Timeout: time.Second}
	for i := 0; i < 300; i++ {
		resp, err := client.Get(r.URL() + "/v2/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.Stop()
	out, _ := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
	return fmt.Errorf("docker-registry did not answer on %s: %s", r.Host, out)
}

// Stop kills the registry by its pid and reaps it.
func (r *Registry) Stop() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// URL is the registry's base URL.
func (r *Registry) URL() string {
	if r.opts.TLS {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// CAFile is the PEM of the CA its certificate is from ("" without TLS).
func (r *Registry) CAFile() string {
	if !r.opts.TLS {
		return ""
	}
	return filepath.Join(r.Dir, "ca.pem")
}

// Transport reaches the registry, trusting its CA.
func (r *Registry) Transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.TLSClientConfig = &tls.Config{RootCAs: r.pool}
	return t
}

// BlobData is the file the registry keeps the blob digest ("sha256:hex")
// in.
func (r *Registry) BlobData(digest string) string {
	hex := digest[len("sha256:"):]
	return filepath.Join(r.Dir, "storage", "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}
