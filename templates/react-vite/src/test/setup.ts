import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";

// Testing Library unmounts after each test by itself only when the test
// functions are globals; vitest's are imported, so it is done here.
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
