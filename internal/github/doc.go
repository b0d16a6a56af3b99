// Package github reports a gate's verdict where a pull request's author looks:
// one sticky comment per pull request and gate, a check run on the head commit
// with annotations at the benchmark functions, and the job summary.
//
// Opinions:
//   - Every API call goes through go-github; this package only decides what to
//     say and where.
//   - The comment is found again by a hidden marker, across every page of
//     comments, and edited in place: a pull request never collects a second
//     perfslo comment per gate, however often it is pushed. Only a comment
//     the token's own identity wrote counts: anyone can type the marker.
//   - Fork pull requests get a read-only token. Measuring happens on
//     pull_request (read-only, untrusted code), posting on workflow_run
//     (write token, no checkout). The pull request number then travels in an
//     artifact, so it is checked against the workflow run's head commit before
//     anything is posted.
//   - GitHub's transient failures (5xx, secondary rate limits, a primary rate
//     limit that resets soon) are waited out below go-github, with injectable
//     sleeps; what cannot be waited out becomes an error that names the cause
//     and, for 403/404, the missing permission.
//   - The token goes into the Authorization header and nowhere else: every
//     error leaving this package is scrubbed of it.
package github
