/* lib/testhook.h: hooks are read only behind the test switch. */
#include <stdlib.h>

#include "lib/testhook.h"
#include "t.h"

int
main(void)
{
	setenv("REBOUND_TEST_STALL_BATCH", "5", 1);
	unsetenv("REBOUND_TEST_HOOKS");
	T_OK(rb_test_hook("STALL_BATCH") == NULL,
	     "a hook's variable alone does nothing without the switch");
	setenv("REBOUND_TEST_HOOKS", "yes", 1);
	T_OK(rb_test_hook("STALL_BATCH") == NULL,
	     "the switch is on only when it is exactly 1");
	setenv("REBOUND_TEST_HOOKS", "1", 1);
	T_STR(rb_test_hook("STALL_BATCH"), "5", "with the switch, the hook's value");
	setenv("REBOUND_TEST_STALL_BATCH", "", 1);
	T_OK(rb_test_hook("STALL_BATCH") == NULL, "an empty value is off");
	T_OK(rb_test_hook("NOT_A_HOOK") == NULL, "an unset hook is off");
	return t_failed != 0;
}
