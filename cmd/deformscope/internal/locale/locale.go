// Package locale keeps Fyne from logging "Error parsing user locale C"
// under the C locale with a character set (LANG=C.UTF-8, the default of
// many containers and minimal systems). Fyne reads the locale while its
// lang package initialises, before main runs; this package, imported by
// main and depending on nothing but os, initialises first (Go initialises
// ready packages in import-path order, and this path sorts before Fyne's
// locale reader, github.com/jeandeaual/go-locale). Under a C locale it
// sets LANGUAGE, which the C library ignores in that locale, to English:
// the language the C locale speaks anyway.
package locale

import (
	"os"
	"strings"
)

func init() {
	if lang, ok := English(os.Getenv); ok {
		os.Setenv("LANGUAGE", lang)
	}
}

// English returns the LANGUAGE value that makes the locale readable to
// Fyne when getenv describes a C or POSIX locale with a character set
// ("C.UTF-8"), and whether one is needed: not when LANGUAGE is set, nor
// for a plain "C" (Fyne reads that as English already), nor for any real
// locale.
func English(getenv func(string) string) (string, bool) {
	if getenv("LANGUAGE") != "" {
		return "", false
	}
	var loc string
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	name, _, charset := strings.Cut(loc, ".")
	if !charset || name != "C" && name != "POSIX" {
		return "", false
	}
	return "en", true
}
