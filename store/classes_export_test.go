package store

// ClassesMigrator lets the classes tests run migration 00011 down and up
// again, to check what it carries over.
var ClassesMigrator = newMigrator
