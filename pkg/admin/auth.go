package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
)

// Errors of BearerToken, answered with 401. They never quote a token.
var (
	ErrNoToken  = errors.New("state-changing endpoints are off: set admin.token (e.g. ${ADMIN_TOKEN} or ${file:/run/secrets/sluice-admin-token}) and send it as Authorization: Bearer <token>")
	ErrNoBearer = errors.New("missing Authorization: Bearer <token> header")
	ErrBadToken = errors.New("wrong bearer token")
)

// BearerToken returns the AuthFunc of state-changing endpoints: a request
// passes when its Authorization header is "Bearer <token>". The comparison
// takes the same time whatever the tokens' contents and lengths (both are
// hashed first). An empty token refuses every request, so a process without
// admin.token exposes no state-changing endpoint.
func BearerToken(token string) AuthFunc {
	want := sha256.Sum256([]byte(token))
	return func(r *http.Request) error {
		if token == "" {
			return ErrNoToken
		}
		h := r.Header.Get("Authorization")
		scheme, got, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ErrNoBearer
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			return ErrBadToken
		}
		return nil
	}
}

// RequireAuth wraps h for a state-changing endpoint: a request that auth
// refuses is answered 401 with WWW-Authenticate: Bearer and a JSON error,
// without reading its body or calling h. A nil auth refuses everything.
func RequireAuth(auth AuthFunc, h http.Handler) http.Handler {
	if auth == nil {
		auth = BearerToken("")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := auth(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
			writeJSONError(w, http.StatusUnauthorized, err.Error())
			return
		}
		h.ServeHTTP(w, r)
	})
}

// LimitBody wraps h so that reading more than n bytes of a request body
// fails (http.MaxBytesError), and a declared Content-Length over n is
// answered 413 before h runs.
func LimitBody(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// UseTLS makes Serve answer HTTPS only, with tc. Call it before Serve.
func (s *Server) UseTLS(tc *tls.Config) {
	s.ln = tls.NewListener(s.ln, tc)
}
