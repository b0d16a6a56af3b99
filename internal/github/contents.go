package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	gh "github.com/google/go-github/v62/github"
	"golang.org/x/mod/modfile"

	"github.com/perfslo/perfslo/budgets"
)

// permContents is what reading perfslo.yaml at a commit needs.
const permContents = "contents: read"

// maxConfigSize caps perfslo.yaml and go.mod as read through the API: the
// contents API sends files up to 1 MB inline, far above any budgets file.
const maxConfigSize = 1 << 20

// ConfigAt reads the budgets file at file (a slash-separated path in the
// repository) at commit ref through the contents API, with Module set from
// the nearest go.mod at or above it at that commit, as budgets.Load does on
// disk. A commit without the file has the defaults (budgets.Default(), found
// false), as the gate runs without one; but a 404 is also what a token that
// cannot read the repository gets, so the commit's root is listed first to
// tell the two apart.
func (c *Client) ConfigAt(ctx context.Context, file, ref string) (cfg *budgets.Config, found bool, err error) {
	file = strings.TrimPrefix(path.Clean("/"+file), "/")
	if file == "" {
		return nil, false, errors.New("the config path is empty")
	}
	name := file + "@" + shortSHA(ref)
	data, ok, err := c.fileAt(ctx, file, ref)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		_, _, resp, err := c.gh.Repositories.GetContents(ctx, c.owner, c.repo, "", &gh.RepositoryContentGetOptions{Ref: ref})
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, false, fmt.Errorf("could not read %s at %s: GitHub answered 404 for the file and for the commit's files: the commit %s is not in %s/%s, or the token cannot read the repository (grant `%s`)",
				file, shortSHA(ref), ref, c.owner, c.repo, permContents)
		}
		if err != nil {
			return nil, false, c.explain(err, fmt.Sprintf("list the files at %s (to tell a missing %s from a token that cannot read it)", shortSHA(ref), file), permContents, c.retry.Now())
		}
		return budgets.Default(), false, nil
	}
	cfg, err = budgets.Parse(name, data)
	if err != nil {
		return nil, true, err
	}
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		mod, ok, err := c.fileAt(ctx, path.Join(dir, "go.mod"), ref)
		if err != nil {
			return nil, true, err
		}
		if ok {
			cfg.Module = modfile.ModulePath(mod)
			break
		}
		if dir == "." || dir == "/" {
			break
		}
	}
	return cfg, true, nil
}

// fileAt reads one file at ref; ok is false when GitHub answers 404.
func (c *Client) fileAt(ctx context.Context, file, ref string) (data []byte, ok bool, err error) {
	fc, _, resp, err := c.gh.Repositories.GetContents(ctx, c.owner, c.repo, file, &gh.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	what := fmt.Sprintf("read %s at %s", file, shortSHA(ref))
	if err != nil {
		return nil, false, c.explain(err, what, permContents, c.retry.Now())
	}
	if fc == nil || fc.GetType() != "file" {
		return nil, false, fmt.Errorf("could not %s: it is not a file", what)
	}
	if fc.GetSize() > maxConfigSize || fc.GetEncoding() == "none" {
		return nil, false, fmt.Errorf("could not %s: %d bytes, more than the %d perfslo reads", what, fc.GetSize(), maxConfigSize)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("could not %s: %v", what, err)
	}
	if len(s) > maxConfigSize {
		return nil, false, fmt.Errorf("could not %s: more than the %d bytes perfslo reads", what, maxConfigSize)
	}
	return []byte(s), true, nil
}
