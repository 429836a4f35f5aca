/* version: the release this tree builds. */
#ifndef RB_VERSION_H
#define RB_VERSION_H

#define RB_VERSION "0.1.0"

#endif
