package github

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub is an httptest server that answers the routes perfslo uses the
// way GitHub's OpenAPI description says: it validates each request body
// against the operation's schema and answers with the operation's example,
// patched with the state the test builds up (comments, check runs).
type fakeGitHub struct {
	t     testing.TB
	spec  *spec
	srv   *httptest.Server
	token string
	owner string
	repo  string

	mu            sync.Mutex
	comments      map[int][]map[string]any // by issue number, oldest first
	nextCommentID int64
	checkRuns     []*fakeCheckRun
	pulls         map[int]string // number → head SHA
	pullBases     map[int]string // number → base SHA, when a test sets one
	// files holds the repository's files by commit, then path: what the
	// contents route serves.
	files      map[string]map[string]string
	faults     map[string][]fault
	requests   []string // "METHOD /path?query"
	perPageMax int
	// tokenUser is the login GET /user answers for the token: a personal
	// access token's owner. Empty answers as GitHub does for an installation
	// token (GITHUB_TOKEN): 403, and comments are github-actions[bot]'s.
	tokenUser string
}

type fakeCheckRun struct {
	ID          int64
	Body        map[string]any // the create request
	Updates     []map[string]any
	Annotations []map[string]any
}

// fault replaces the answer to one matching request.
type fault struct {
	status int
	header map[string]string
	body   string
	// apply handles the request first, then answers with the fault: GitHub
	// acted, but the reply was lost.
	apply bool
}

type route struct {
	method, template string
	re               *regexp.Regexp
	handle           func(f *fakeGitHub, w http.ResponseWriter, r *http.Request, params map[string]string, body map[string]any)
}

var routes = []*route{
	{method: "GET", template: "/repos/{owner}/{repo}/issues/{issue_number}/comments", handle: (*fakeGitHub).listComments},
	{method: "POST", template: "/repos/{owner}/{repo}/issues/{issue_number}/comments", handle: (*fakeGitHub).createComment},
	{method: "PATCH", template: "/repos/{owner}/{repo}/issues/comments/{comment_id}", handle: (*fakeGitHub).editComment},
	{method: "POST", template: "/repos/{owner}/{repo}/check-runs", handle: (*fakeGitHub).createCheckRun},
	{method: "PATCH", template: "/repos/{owner}/{repo}/check-runs/{check_run_id}", handle: (*fakeGitHub).updateCheckRun},
	{method: "GET", template: "/repos/{owner}/{repo}/pulls/{pull_number}", handle: (*fakeGitHub).getPull},
	{method: "GET", template: "/user", handle: (*fakeGitHub).getUser},
	{method: "GET", template: "/repos/{owner}/{repo}/contents/{path}", handle: (*fakeGitHub).getContents},
}

func init() {
	for _, r := range routes {
		re := regexp.MustCompile(`\\\{([a-z_]+)\\\}`).ReplaceAllString(regexp.QuoteMeta(r.template), `(?P<$1>[^/]+)`)
		// {path} spans segments (the spec's x-multi-segment), and is
		// empty for the repository's root.
		re = strings.Replace(re, `(?P<path>[^/]+)`, `(?P<path>.*)`, 1)
		r.re = regexp.MustCompile("^" + re + "$")
	}
}

func newFakeGitHub(t testing.TB, repository, token string) *fakeGitHub {
	t.Helper()
	owner, repo, _ := strings.Cut(repository, "/")
	f := &fakeGitHub{
		t: t, spec: loadSpec(t), token: token, owner: owner, repo: repo,
		comments: map[int][]map[string]any{}, nextCommentID: 1000, pulls: map[int]string{}, pullBases: map[int]string{},
		files:  map[string]map[string]string{},
		faults: map[string][]fault{}, perPageMax: 100,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is what GITHUB_API_URL is set to: not the public API, so the client
// takes the GitHub Enterprise path (/api/v3/).
func (f *fakeGitHub) URL() string { return f.srv.URL }

func (f *fakeGitHub) fail(method, template string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := method + " " + template
	f.faults[key] = append(f.faults[key], fs...)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, "/api/v3")
	if !ok {
		f.t.Errorf("%s %s: not under /api/v3/, the GitHub Enterprise base", r.Method, r.URL.Path)
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+p+queryString(r.URL))
	f.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.writeError(w, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
		return
	}
	for _, rt := range routes {
		m := rt.re.FindStringSubmatch(p)
		if m == nil || rt.method != r.Method {
			continue
		}
		params := map[string]string{}
		for i, n := range rt.re.SubexpNames() {
			if n != "" {
				params[n] = m[i]
			}
		}
		if _, scoped := params["owner"]; scoped && (params["owner"] != f.owner || params["repo"] != f.repo) {
			f.writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
			return
		}
		var body map[string]any
		if r.Method != http.MethodGet {
			raw, _ := io.ReadAll(r.Body)
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				f.t.Errorf("%s %s: body is not JSON: %v", r.Method, rt.template, err)
				f.writeError(w, http.StatusBadRequest, "Problems parsing JSON", "")
				return
			}
			if err := f.spec.requestSchema(f.t, rt.method, rt.template).Validate(v); err != nil {
				f.t.Errorf("%s %s: request does not match GitHub's schema: %v", r.Method, rt.template, err)
				f.writeError(w, http.StatusUnprocessableEntity, "Validation Failed", "")
				return
			}
			body, _ = v.(map[string]any)
		}
		f.mu.Lock()
		key := rt.method + " " + rt.template
		var flt *fault
		if q := f.faults[key]; len(q) > 0 {
			flt, f.faults[key] = &q[0], q[1:]
		}
		f.mu.Unlock()
		if flt != nil {
			if flt.apply {
				rt.handle(f, httptest.NewRecorder(), r, params, body)
			}
			for k, v := range flt.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(flt.status)
			io.WriteString(w, flt.body)
			return
		}
		rt.handle(f, w, r, params, body)
		return
	}
	f.t.Errorf("unexpected request %s %s", r.Method, p)
	f.writeError(w, http.StatusNotFound, "Not Found", "")
}

func queryString(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}

// writeError answers like GitHub's basic-error schema.
func (f *fakeGitHub) writeError(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

func (f *fakeGitHub) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Error(err)
	}
}

func (f *fakeGitHub) htmlBase() string { return f.srv.URL + "/" + f.owner + "/" + f.repo }

// newComment is GitHub's example issue comment with the test's id, body and author.
func (f *fakeGitHub) newComment(issue int, body, login, userType string) map[string]any {
	c := f.spec.example(f.t, "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "201").(map[string]any)
	f.nextCommentID++
	id := f.nextCommentID
	c["id"] = id
	c["body"] = body
	c["html_url"] = fmt.Sprintf("%s/pull/%d#issuecomment-%d", f.htmlBase(), issue, id)
	c["url"] = fmt.Sprintf("%s/api/v3/repos/%s/%s/issues/comments/%d", f.srv.URL, f.owner, f.repo, id)
	c["issue_url"] = fmt.Sprintf("%s/api/v3/repos/%s/%s/issues/%d", f.srv.URL, f.owner, f.repo, issue)
	user := c["user"].(map[string]any)
	user["login"], user["type"] = login, userType
	return c
}

// seedComments adds comments by others to an issue.
func (f *fakeGitHub) seedComment(issue int, body, login, userType string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.newComment(issue, body, login, userType)
	f.comments[issue] = append(f.comments[issue], c)
	return c["id"].(int64)
}

func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request, params map[string]string, _ map[string]any) {
	issue, _ := strconv.Atoi(params["issue_number"])
	q := r.URL.Query()
	page, perPage := 1, 30
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, f.perPageMax)
	}
	f.mu.Lock()
	all := f.comments[issue]
	lo, hi := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	items := deepCopy(f.t, all[lo:hi])
	last := max(1, (len(all)+perPage-1)/perPage)
	f.mu.Unlock()
	// Link header as GitHub writes it (components/headers/link).
	link := func(p int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	f.writeJSON(w, http.StatusOK, items)
}

func (f *fakeGitHub) createComment(w http.ResponseWriter, _ *http.Request, params map[string]string, body map[string]any) {
	issue, _ := strconv.Atoi(params["issue_number"])
	f.mu.Lock()
	login, typ := f.tokenUser, "User"
	if login == "" {
		login, typ = "github-actions[bot]", "Bot"
	}
	c := f.newComment(issue, body["body"].(string), login, typ)
	f.comments[issue] = append(f.comments[issue], c)
	f.mu.Unlock()
	w.Header().Set("Location", c["url"].(string))
	f.writeJSON(w, http.StatusCreated, c)
}

func (f *fakeGitHub) editComment(w http.ResponseWriter, _ *http.Request, params map[string]string, body map[string]any) {
	id, _ := strconv.ParseInt(params["comment_id"], 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cs := range f.comments {
		for _, c := range cs {
			if c["id"].(int64) == id {
				c["body"] = body["body"]
				c["updated_at"] = time.Now().UTC().Format(time.RFC3339)
				f.writeJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	f.writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/issues/comments#update-an-issue-comment")
}

func (f *fakeGitHub) checkRunResponse(status string, cr *fakeCheckRun) map[string]any {
	method, tmpl := "POST", "/repos/{owner}/{repo}/check-runs"
	if status == "200" {
		method, tmpl = "PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"
	}
	ex := f.spec.example(f.t, method, tmpl, status).(map[string]any)
	ex["id"] = cr.ID
	for _, k := range []string{"name", "head_sha", "status", "conclusion", "external_id"} {
		if v, ok := cr.Body[k]; ok {
			ex[k] = v
		}
	}
	ex["html_url"] = fmt.Sprintf("%s/runs/%d", f.htmlBase(), cr.ID)
	if out, ok := ex["output"].(map[string]any); ok {
		out["annotations_count"] = len(cr.Annotations)
	}
	return ex
}

func annotationsOf(body map[string]any) []map[string]any {
	out, _ := body["output"].(map[string]any)
	list, _ := out["annotations"].([]any)
	var as []map[string]any
	for _, a := range list {
		as = append(as, a.(map[string]any))
	}
	return as
}

func (f *fakeGitHub) createCheckRun(w http.ResponseWriter, _ *http.Request, _ map[string]string, body map[string]any) {
	f.mu.Lock()
	cr := &fakeCheckRun{ID: int64(5000 + len(f.checkRuns)), Body: body, Annotations: annotationsOf(body)}
	f.checkRuns = append(f.checkRuns, cr)
	resp := f.checkRunResponse("201", cr)
	f.mu.Unlock()
	f.writeJSON(w, http.StatusCreated, resp)
}

func (f *fakeGitHub) updateCheckRun(w http.ResponseWriter, _ *http.Request, params map[string]string, body map[string]any) {
	id, _ := strconv.ParseInt(params["check_run_id"], 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cr := range f.checkRuns {
		if cr.ID == id {
			cr.Updates = append(cr.Updates, body)
			// Updates append annotations, as GitHub documents.
			cr.Annotations = append(cr.Annotations, annotationsOf(body)...)
			f.writeJSON(w, http.StatusOK, f.checkRunResponse("200", cr))
			return
		}
	}
	f.writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/checks/runs#update-a-check-run")
}

func (f *fakeGitHub) getPull(w http.ResponseWriter, _ *http.Request, params map[string]string, _ map[string]any) {
	n, _ := strconv.Atoi(params["pull_number"])
	f.mu.Lock()
	sha, ok := f.pulls[n]
	f.mu.Unlock()
	if !ok {
		f.writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/pulls/pulls#get-a-pull-request")
		return
	}
	pr := f.spec.example(f.t, "GET", "/repos/{owner}/{repo}/pulls/{pull_number}", "200").(map[string]any)
	pr["number"] = n
	pr["head"].(map[string]any)["sha"] = sha
	f.mu.Lock()
	if base, ok := f.pullBases[n]; ok {
		pr["base"].(map[string]any)["sha"] = base
	}
	f.mu.Unlock()
	f.writeJSON(w, http.StatusOK, pr)
}

// getUser answers GET /user: the token's owner for a user token; for an
// installation token, the 403 GitHub gives ("Resource not accessible by
// integration").
func (f *fakeGitHub) getUser(w http.ResponseWriter, _ *http.Request, _ map[string]string, _ map[string]any) {
	f.mu.Lock()
	login := f.tokenUser
	f.mu.Unlock()
	if login == "" {
		f.writeError(w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/users/users#get-the-authenticated-user")
		return
	}
	u := f.spec.example(f.t, "GET", "/user", "200").(map[string]any)
	u["login"] = login
	f.writeJSON(w, http.StatusOK, u)
}

// addFile puts a file in the repository at commit ref.
func (f *fakeGitHub) addFile(ref, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files[ref] == nil {
		f.files[ref] = map[string]string{}
	}
	f.files[ref][path] = content
}

// getContents answers GET /repos/{owner}/{repo}/contents/{path}?ref=: a file
// as GitHub's example of a file (base64, in lines of 60), a directory as
// its example listing, 404 for a path or commit it does not have.
func (f *fakeGitHub) getContents(w http.ResponseWriter, r *http.Request, params map[string]string, _ map[string]any) {
	const tmpl = "/repos/{owner}/{repo}/contents/{path}"
	ref, p := r.URL.Query().Get("ref"), strings.Trim(params["path"], "/")
	f.mu.Lock()
	tree, known := f.files[ref]
	content, isFile := tree[p]
	var names []string
	for name := range tree {
		if p == "" || strings.HasPrefix(name, p+"/") {
			names = append(names, name)
		}
	}
	f.mu.Unlock()
	switch {
	case !known:
		f.writeError(w, http.StatusNotFound, "No commit found for the ref "+ref, "https://docs.github.com/rest/repos/contents#get-repository-content")
	case isFile:
		ex := f.spec.namedExample(f.t, "GET", tmpl, "200", "response-if-content-is-a-file").(map[string]any)
		enc := base64.StdEncoding.EncodeToString([]byte(content))
		var lines []string
		for len(enc) > 60 {
			lines, enc = append(lines, enc[:60]), enc[60:]
		}
		ex["content"] = strings.Join(append(lines, enc), "\n") + "\n"
		ex["size"], ex["name"], ex["path"] = len(content), path.Base(p), p
		f.writeJSON(w, http.StatusOK, ex)
	case len(names) > 0:
		proto := f.spec.namedExample(f.t, "GET", tmpl, "200", "response-if-content-is-a-directory").([]any)[0].(map[string]any)
		var list []any
		for _, name := range names {
			e := deepCopy(f.t, proto).(map[string]any)
			e["name"], e["path"], e["size"] = path.Base(name), name, len(tree[name])
			list = append(list, e)
		}
		f.writeJSON(w, http.StatusOK, list)
	default:
		f.writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content")
	}
}

// commentAuthors lists who wrote each comment of an issue, oldest first.
func (f *fakeGitHub) commentAuthors(issue int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments[issue] {
		out = append(out, c["user"].(map[string]any)["login"].(string))
	}
	return out
}

func (f *fakeGitHub) commentBodies(issue int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments[issue] {
		out = append(out, c["body"].(string))
	}
	return out
}

func (f *fakeGitHub) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeGitHub) runs() []*fakeCheckRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeCheckRun(nil), f.checkRuns...)
}

func countPrefix(log []string, prefix string) int {
	n := 0
	for _, l := range log {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
