/* The C API in a few lines: exact GELU and its gradient on a small array. */
#include <gelu/gelu.h>
#include <stdio.h>

int main(void) {
  const float x[5] = {-10.0f, -6.0f, -1.0f, 0.5f, 3.0f};
  const float dy[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  float y[5], dx[5];
  gelu_status s = gelu_forward_f32(GELU_ACT_GELU, 5, x, y);
  if (s == GELU_OK) s = gelu_backward_f32(GELU_ACT_GELU, 5, x, dy, dx);
  if (s != GELU_OK) {
    fprintf(stderr, "gelu: %s\n", gelu_status_string(s));
    return 1;
  }
  for (int i = 0; i < 5; ++i) {
    printf("gelu(%g) = %.9g   gelu'(%g) = %.9g\n", (double)x[i], (double)y[i], (double)x[i],
           (double)dx[i]);
  }
  /* Bad input is reported, never a crash. */
  printf("null input: %s\n", gelu_status_string(gelu_forward_f32(GELU_ACT_GELU, 5, NULL, y)));
  return 0;
}
