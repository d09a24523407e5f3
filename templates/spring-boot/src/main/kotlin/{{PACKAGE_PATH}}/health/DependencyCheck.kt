package {{PACKAGE}}.health

/** A dependency that /ready reports on, under its name. */
interface DependencyCheck {
    val name: String

    /** Returns when the dependency answers, within a few seconds; throws why it does not. */
    fun ping()
}
