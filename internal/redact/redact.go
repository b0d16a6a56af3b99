// Package redact removes credentials from text that leaves perfslo: errors,
// warnings, log lines, reports, pull request comments. Every output goes
// through the one function String, so they all hide the same things.
//
// What is hidden, and why each:
//   - the secrets the caller holds (a token, a password), wherever they
//     appear: a server or proxy may echo a request's credentials back;
//   - the userinfo and the query values of every URL: credentials ride in
//     both (https://x-access-token:T@host, ?access_token=T, presigned URLs);
//   - Authorization header values, and Basic/Bearer credentials;
//   - strings shaped like GitHub tokens or JSON web tokens (the Actions
//     runtime and OIDC tokens are JWTs), even when the caller did not know
//     them: a benchmark or a server may print one it found.
package redact

import (
	"net/url"
	"reflect"
	"regexp"
	"strings"
)

// Mask replaces what is hidden.
const Mask = "***"

// minSecret is the shortest secret replaced wherever it appears: shorter
// strings occur in ordinary words and numbers, and masking them would garble
// every message while hiding nothing a guess would not find.
const minSecret = 4

var (
	// urlRE finds URLs in running text: a scheme, "://", then anything up
	// to a space, a quote or a bracket that ends a URL in prose.
	urlRE = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)
	// authRE is an Authorization header and its value, as a log or an
	// echoed request shows it.
	authRE = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization"?\s*[:=]\s*"?)(?:(basic|bearer|token|digest)\s+)?[^\s",;]+`)
	// schemeRE is a Basic or Bearer credential outside a header. The
	// credential must hold a digit or one of + / = _ so that prose such as
	// "Basic authentication" is left alone.
	schemeRE = regexp.MustCompile(`\b(Basic|Bearer)\s+([A-Za-z0-9+/=._~-]*[0-9+/=_][A-Za-z0-9+/=._~-]*)`)
	// githubRE is a GitHub token: personal (ghp_, github_pat_), OAuth
	// (gho_), user-to-server (ghu_), installation (ghs_), refresh (ghr_).
	githubRE = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b`)
	// jwtRE is a JSON web token: three base64url parts, the first two
	// JSON objects ("eyJ" is base64 for `{"`).
	jwtRE = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+`)
)

// String returns s with every credential masked (see the package comment);
// secrets are values the caller knows to be secret.
func String(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	s = urlRE.ReplaceAllStringFunc(s, func(m string) string {
		// Punctuation that ends a sentence or a parenthesis is not part
		// of the URL ("failed at https://h/?q=1: EOF").
		u := strings.TrimRight(m, ".,:;!?)]}")
		return URL(u) + m[len(u):]
	})
	s = authRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := authRE.FindStringSubmatch(m)
		if sub[2] != "" {
			return sub[1] + sub[2] + " " + Mask
		}
		return sub[1] + Mask
	})
	s = schemeRE.ReplaceAllString(s, "$1 "+Mask)
	s = githubRE.ReplaceAllString(s, Mask)
	s = jwtRE.ReplaceAllString(s, Mask)
	return s
}

// URL returns raw fit to show: its userinfo replaced by Mask, and the value
// of each query parameter and the fragment's too when it holds "=" (OAuth
// implicit flows put tokens there). The keys stay, so the reader still sees
// what the URL was for. Text that does not parse as a URL has anything
// between "://" and "@" masked.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return userinfoRE.ReplaceAllString(raw, "${1}"+Mask+"@")
	}
	if u.User != nil {
		u.User = url.User(Mask)
	}
	if u.RawQuery != "" {
		u.RawQuery = maskQuery(u.RawQuery)
	}
	if strings.Contains(u.Fragment, "=") {
		u.RawFragment, u.Fragment = "", maskQuery(u.Fragment)
	}
	out := u.String()
	// url.URL.String escapes the mask; show it as written.
	return strings.NewReplacer("%2A%2A%2A", Mask, "%2a%2a%2a", Mask).Replace(out)
}

var userinfoRE = regexp.MustCompile(`(://)[^/@\s]+@`)

// maskQuery masks the value of every key=value pair of a query string,
// keeping keys and the order.
func maskQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=" + Mask
		} else if p != "" {
			// A bare value (?TOKEN) is masked whole.
			parts[i] = Mask
		}
	}
	return strings.Join(parts, "&")
}

// Error returns err with its text passed through String. errors.Is and
// errors.As still reach the original; nil stays nil, and an error with
// nothing to mask is returned unchanged.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := String(msg, secrets...)
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }

// Unwrap keeps errors.Is and errors.As working on the cause.
func (e *redacted) Unwrap() error { return e.err }

// Strings passes every string reachable from v (a pointer to a struct,
// slice or map of them: a report) through String, in place. Map keys are
// left alone. It is for values that came from elsewhere and are about to be
// shown, such as a report read from an artifact.
func Strings(v any, secrets ...string) {
	walk(reflect.ValueOf(v), secrets, 0)
}

// maxDepth stops a walk through a cyclic value.
const maxDepth = 64

func walk(v reflect.Value, secrets []string, depth int) {
	if depth > maxDepth || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				// A string in an interface is not settable in place.
				if v.CanSet() {
					v.Set(reflect.ValueOf(String(e.String(), secrets...)).Convert(e.Type()))
				}
				return
			}
			walk(e, secrets, depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), secrets, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), secrets, depth+1)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			val := iter.Value()
			if val.Kind() == reflect.String {
				v.SetMapIndex(iter.Key(), reflect.ValueOf(String(val.String(), secrets...)).Convert(val.Type()))
				continue
			}
			// Map values are not addressable: walk a copy and store it back.
			cp := reflect.New(val.Type()).Elem()
			cp.Set(val)
			walk(cp, secrets, depth+1)
			v.SetMapIndex(iter.Key(), cp)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(String(v.String(), secrets...))
		}
	}
}
