package {{PACKAGE}}.config

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import kotlin.test.assertEquals
import kotlin.test.assertFalse

class PostgresUrlTest {
    @Test
    fun `the Compose default`() {
        val url = PostgresUrl.parse("postgres://app:app@postgres:5432/{{PROJECT_IDENT}}")
        assertEquals("jdbc:postgresql://postgres:5432/{{PROJECT_IDENT}}", url.jdbcUrl)
        assertEquals("app", url.username)
        assertEquals("app", url.password)
    }

    @Test
    fun `port 5432 when none is given, parameters kept, postgresql scheme too`() {
        val url = PostgresUrl.parse("postgresql://u:p@db.example/shop?sslmode=require")
        assertEquals("jdbc:postgresql://db.example:5432/shop?sslmode=require", url.jdbcUrl)
    }

    @Test
    fun `credentials are percent-decoded, and a plus stays a plus`() {
        val url = PostgresUrl.parse("postgres://us%40er:p%3Ass+w%2Frd@localhost:6543/db")
        assertEquals("us@er", url.username)
        assertEquals("p:ss+w/rd", url.password)
        assertEquals("jdbc:postgresql://localhost:6543/db", url.jdbcUrl)
    }

    @Test
    fun `no credentials`() {
        val url = PostgresUrl.parse("postgres://localhost/db")
        assertEquals(null, url.username)
        assertEquals(null, url.password)
    }

    @Test
    fun `the password stays out of toString`() {
        assertFalse("s3cret" in PostgresUrl.parse("postgres://app:s3cret@localhost/db").toString())
    }

    @Test
    fun `other schemes are refused`() {
        assertThrows<IllegalArgumentException> { PostgresUrl.parse("mysql://app:app@localhost/db") }
    }
}
