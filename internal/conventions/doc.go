// Package conventions holds tests that check the repository against the conventions in
// CONTRIBUTING.md. It has no code of its own.
package conventions
