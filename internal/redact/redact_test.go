package redact

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

const (
	ghs = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	ghp = "ghp_R2d2C3poLuke0Leia1Han2Chewie3Yoda4Obi"
	pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH"
	jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpwdWxsX3JlcXVlc3QifQ.c2lnbmF0dXJl"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		in, want string
		secrets  []string
	}{
		{"GET https://api.test/repos?access_token=" + ghs[4:] + "&page=2: 502", "GET https://api.test/repos?access_token=***&page=***: 502", nil},
		{`Post "https://x-access-token:s3cr3t@github.test/o/r.git": EOF`, `Post "https://***@github.test/o/r.git": EOF`, nil},
		{"fatal: unable to access 'https://u:p@host/r/': 403", "fatal: unable to access 'https://***@host/r/': 403", nil},
		{"redirect to https://sso.test/cb#access_token=abc&state=1", "redirect to https://sso.test/cb#access_token=***&state=***", nil},
		{"https://host/path#section-2 stays", "https://host/path#section-2 stays", nil},
		{"Authorization: Basic cGVyZnNsbzpodW50ZXIy rejected", "Authorization: Basic *** rejected", nil},
		{`"authorization":"Bearer abc.def"`, `"authorization":"Bearer ***"`, nil},
		{"sent Bearer " + ghs, "sent Bearer ***", nil},
		{"Basic authentication failed", "Basic authentication failed", nil},
		{"token " + ghp + " and " + pat + " and " + jwt, "token *** and *** and ***", nil},
		{"password hunter2 was wrong", "password *** was wrong", []string{"hunter2"}},
		{"an ab in a cab", "an ab in a cab", []string{"ab"}}, // too short to be worth hiding
		{"connect to [::1]:4040: refused", "connect to [::1]:4040: refused", nil},
		{"no credentials here: 20% slower", "no credentials here: 20% slower", nil},
	} {
		if got := String(c.in, c.secrets...); got != c.want {
			t.Errorf("String(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestError(t *testing.T) {
	base := &fs.PathError{Op: "open", Path: "https://h/f?sig=xyz", Err: fs.ErrNotExist}
	err := Error(base)
	if strings.Contains(err.Error(), "xyz") || !strings.Contains(err.Error(), "sig=***") {
		t.Errorf("Error = %v", err)
	}
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Error("the redacted error lost its cause")
	}
	clean := errors.New("nothing to hide")
	if Error(clean) != clean || Error(nil) != nil {
		t.Error("an error with nothing to mask was wrapped")
	}
}

func TestEnv(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin", "HOME=/home/u", "TMPDIR=/tmp", "GOFLAGS=-mod=mod", "GOCACHE=/c", "GOAUTH=netrc",
		"CI=true", "GITHUB_WORKSPACE=/w", "RUNNER_TEMP=/t", "BENCH_SIZE=10",
		"GITHUB_TOKEN=" + ghs, "GH_TOKEN=x", "NPM_TOKEN=y", "ACTIONS_RUNTIME_TOKEN=" + jwt, "ACTIONS_RUNTIME_URL=https://r/",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=z", "ACTIONS_ID_TOKEN_REQUEST_URL=https://oidc/?a=1",
		"PYROSCOPE_BASIC_AUTH_USER=perfslo", "PYROSCOPE_BASIC_AUTH_PASSWORD=hunter2", "DB_PASSWORD=p", "AWS_SECRET_ACCESS_KEY=k",
		"client_secret=lower", "GOOGLE_APPLICATION_CREDENTIALS=/k.json", "SSH_AUTH_SOCK=/s", "MY_DEPLOY_KEY_FOR_CI=" + ghp,
		"GOPROXY=https://u:pw@proxy.test", "EMPTY=",
	}
	got := Env(environ)
	want := []string{"PATH=/usr/bin", "HOME=/home/u", "TMPDIR=/tmp", "GOFLAGS=-mod=mod", "GOCACHE=/c", "GOAUTH=netrc",
		"CI=true", "GITHUB_WORKSPACE=/w", "RUNNER_TEMP=/t", "BENCH_SIZE=10", "EMPTY="}
	if !slices.Equal(got, want) {
		t.Errorf("Env kept\n%q\nwant\n%q", got, want)
	}
	secrets := EnvSecrets(environ)
	if slices.Contains(secrets, "perfslo") || !slices.Contains(secrets, "hunter2") || !slices.Contains(secrets, ghs) {
		t.Errorf("EnvSecrets = %q", secrets)
	}
}

func TestStrings(t *testing.T) {
	type row struct {
		Name     string
		Warnings []string
		Note     *string
		Extra    map[string]string
		Nested   map[string][]string
		any      string // unexported: left alone
	}
	note := "see https://h/?token=abc"
	r := struct {
		Rows []row
		Any  any
	}{Rows: []row{{Name: "BenchmarkX", Warnings: []string{"Bearer " + ghs}, Note: &note,
		Extra: map[string]string{"k": "password s3cret!"}, Nested: map[string][]string{"k": {jwt}}, any: ghs}}, Any: ghp}
	Strings(&r, "s3cret!")
	got := r.Rows[0]
	if got.Name != "BenchmarkX" || got.Warnings[0] != "Bearer ***" || *got.Note != "see https://h/?token=***" ||
		got.Extra["k"] != "password ***" || got.Nested["k"][0] != Mask || got.any != ghs || r.Any != Mask {
		t.Errorf("Strings left %+v, Any %v", got, r.Any)
	}
}
