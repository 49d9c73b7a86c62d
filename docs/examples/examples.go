// Package examples holds the example import files, embedded so that the
// sandbox (`cairbot sandbox`) makes its demo centre from them with the
// import commands themselves, wherever the binary runs.
package examples

import "embed"

// Demo is the sandbox's demo centre: demo/residents.csv, demo/classes.csv
// and demo/chores.csv, in the formats of the files beside them.
//
//go:embed demo/*.csv
var Demo embed.FS
