#ifndef CSQLITE3_SHIM_H
#define CSQLITE3_SHIM_H

#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import: re-export it.
static inline sqlite3_destructor_type csqlite3_transient(void) { return SQLITE_TRANSIENT; }

/// Extended result codes are macro expressions (`SQLITE_CONSTRAINT | (8<<8)`), which Swift does not import:
/// re-export the ones the store tells apart.
static const int CSQLITE3_CONSTRAINT_FOREIGNKEY = SQLITE_CONSTRAINT_FOREIGNKEY;
static const int CSQLITE3_CONSTRAINT_PRIMARYKEY = SQLITE_CONSTRAINT_PRIMARYKEY;
static const int CSQLITE3_CONSTRAINT_UNIQUE = SQLITE_CONSTRAINT_UNIQUE;
static const int CSQLITE3_IOERR_FSYNC = SQLITE_IOERR_FSYNC;

/// sqlite3_config is variadic, which Swift cannot call: turns off SQLite's memory statistics, which take a
/// process-wide mutex on every allocation and free. Only valid before SQLite is initialized (before the first
/// open); returns SQLITE_OK, or SQLITE_MISUSE after that.
static inline int csqlite3_disable_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

#endif
