// Package fetch downloads the official COCO 2017 zips from cocodataset.org and unpacks them.
//
// [Fetcher] downloads with resumable, checked downloads, and [Extract] unpacks a zip without
// letting it write outside its folder or past size and entry caps. It is the only COCO package that
// links net/http.
package fetch
