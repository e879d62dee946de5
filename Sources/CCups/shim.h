#include <cups/cups.h>
#include <cups/adminutil.h>
