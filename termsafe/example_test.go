package termsafe_test

import (
	"fmt"

	"github.com/ttpwatch/ttpwatch/termsafe"
)

func ExampleEscape() {
	argv := "sh -c \x1b]0;pwned\x07 invoice\u202efdp.sh"
	fmt.Println(termsafe.Escape(argv, 0))
	fmt.Println(termsafe.Escape(argv, 12))
	// Output:
	// sh -c \x1b]0;pwned\x07 invoice\u202efdp.sh
	// sh -c \x1b]…
}
