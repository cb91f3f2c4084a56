// Package pagetrim takes the program's own read-only file pages out of its
// resident set once they are no longer needed.
//
// A static Go binary is mapped from its file: code, read-only data and the
// runtime's function tables. Each page fault maps the cached pages around
// it too (the kernel's fault-around, 64 KiB), and each stack that grows is
// walked through the function tables, so by the time the program has
// started nearly the whole file counts in its RSS, although most of it ran
// once and will not again. Release drops those mappings. The pages stay in
// the page cache, where the kernel can reclaim the cold ones when memory is
// short; the ones the program goes on using are mapped again by their next
// access, a minor fault each.
//
// Only mappings that are read-only and hold no page the program changed
// (smaps' Anonymous is 0) are dropped, so nothing written is ever lost:
// not the relocations a dynamic loader made read-only after writing them
// (a cgo build's RELRO), not a debugger's breakpoints.
package pagetrim
