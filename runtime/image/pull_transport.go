package image

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// pullTransport is the HTTP transport of a pull: TLS verified against the
// system's CAs plus the caller's bundle, or not at all for a registry the
// caller calls insecure; plain HTTP refused unless the request goes to a
// loopback address or the registry was called insecure.
type pullTransport struct {
	base     http.RoundTripper
	insecure string
}

// newPullTransport returns the transport for a pull from registry (its
// host[:port]), trusting caFile's certificates besides the system's, and
// with insecure allowing plain HTTP and unverified TLS to that registry.
func newPullTransport(registry, caFile string, insecure bool) (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, wrapf(ErrInvalid, "image pull: CA bundle: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, wrapf(ErrInvalid, "image pull: CA bundle %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	t := &pullTransport{base: base}
	if insecure {
		cfg.InsecureSkipVerify = true //nolint:gosec // the caller asked, for this registry only
		t.insecure = registry
	}
	base.TLSClientConfig = cfg
	return t, nil
}

// RoundTrip refuses plain HTTP to anything but a loopback address or the
// registry called insecure, also on redirects.
func (t *pullTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !isLoopback(req.URL.Hostname()) && req.URL.Host != t.insecure {
		return nil, fmt.Errorf("plain HTTP to %s refused: only loopback registries, or one called insecure, are reached without TLS", req.URL.Host)
	}
	return t.base.RoundTrip(req)
}

// isLoopback reports whether host names the loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
