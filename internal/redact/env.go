package redact

import (
	"regexp"
	"strings"
)

// secretWords mark an environment variable's name as holding a credential
// (compared in upper case): GITHUB_TOKEN, NPM_TOKEN, DB_PASSWORD,
// AWS_SECRET_ACCESS_KEY, CLIENT_SECRET_ID, GOOGLE_APPLICATION_CREDENTIALS, ...
var secretWords = []string{"TOKEN", "PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "PRIVATE_KEY", "API_KEY", "APIKEY", "ACCESS_KEY"}

// secretPrefixes are families of variables that are credentials or lead to
// them: Pyroscope's basic auth (user and password), the Actions runtime
// (its token and the service URLs it is used with) and the OIDC token
// request (its bearer token and URL).
var secretPrefixes = []string{"PYROSCOPE_BASIC_AUTH_", "ACTIONS_RUNTIME_", "ACTIONS_ID_TOKEN_REQUEST_"}

// secretNames are single variables that give access without a secret-looking
// name: the ssh agent's socket signs as the user.
var secretNames = map[string]bool{"SSH_AUTH_SOCK": true}

// SecretName reports whether the environment variable name holds a
// credential, by its name alone.
func SecretName(name string) bool {
	up := strings.ToUpper(name)
	if secretNames[up] {
		return true
	}
	for _, p := range secretPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// passwordURLRE is a URL with a password in its userinfo (GOPROXY=https://u:p@host).
var passwordURLRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@`)

// SecretValue reports whether a value is a credential whatever its name: a
// GitHub token, a JWT, or a URL with a password.
func SecretValue(value string) bool {
	return githubRE.MatchString(value) || jwtRE.MatchString(value) || passwordURLRE.MatchString(value)
}

// Env returns environ ("KEY=value" entries) without the variables that hold
// credentials (SecretName or SecretValue): the environment for a process
// that runs code perfslo does not trust, such as a pull request's benchmarks.
func Env(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if SecretName(k) || SecretValue(v) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// EnvSecrets returns the values of environ's credential variables, for
// String: whatever a server echoes of them is then masked. User names
// (PYROSCOPE_BASIC_AUTH_USER) are left out: they are not secret, and
// masking one wherever it appears would garble messages.
func EnvSecrets(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(k)
		if strings.HasSuffix(up, "_USER") || strings.HasSuffix(up, "_USERNAME") {
			continue
		}
		if v != "" && (SecretName(k) || SecretValue(v)) {
			out = append(out, v)
		}
	}
	return out
}
